"""Point every link to the course's GitHub repository at OWNER/NAME, from one setting.

    make set-repo REPO=owner/name      (runs: python binder/set_repo.py owner/name)

The repository is named in the README's Binder badge and Colab links and in each notebook's
Colab cell (where Colab installs course_utils and its pins from). This reads the current name
from the README's badge and rewrites it in those URLs, nowhere else.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAME = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
# The URL prefixes that carry the repository's name, each followed by OWNER/NAME.
PREFIXES = ("https://mybinder.org/v2/gh/", "https://colab.research.google.com/github/",
            "https://github.com/", "https://raw.githubusercontent.com/")


def current_repo(readme):
    """OWNER/NAME from the README's Binder badge."""
    found = re.search(r"https://mybinder\.org/v2/gh/(" + NAME + r")/", readme)
    if not found:
        raise ValueError("README.md has no Binder badge (https://mybinder.org/v2/gh/OWNER/NAME/...)")
    return found.group(1)


def files(root=ROOT):
    """The files that name the repository."""
    return [root / "README.md", *sorted((root / "notebooks").glob("[0-9]*.ipynb"))]


def set_repo(repo, root=ROOT):
    """Rewrite OWNER/NAME in every URL that names the repository; returns the files changed."""
    if not re.fullmatch(NAME, repo):
        raise ValueError(f"REPO must look like owner/name (as in github.com/owner/name); got {repo!r}.")
    old = current_repo((root / "README.md").read_text())
    changed = []
    for path in files(root):
        text = path.read_text()
        new = text
        for prefix in PREFIXES:
            new = new.replace(prefix + old + "/", prefix + repo + "/")
            new = new.replace(prefix + old + "@", prefix + repo + "@")
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python binder/set_repo.py owner/name")
    for path in set_repo(sys.argv[1]):
        print(f"set_repo: {path.relative_to(ROOT)}")
