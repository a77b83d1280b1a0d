"""Build the course's website (`make site`): a Jupyter Book from the README and the notebooks.

Nothing is executed: every page shows the outputs stored in the notebook, the ones nbval
tests. The table of contents is generated here from notebooks/[0-9]*.ipynb, so a new notebook
is a new chapter without editing anything. The sources are copied to build/site/src (the
repository itself is never written to) and the HTML goes to build/site/_build/html.

Usage (with .venv-site, see requirements-site.txt): python docs/site/build_site.py
"""

import importlib.util
import json
import pathlib
import re
import shutil
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = ROOT / "docs" / "site"
OUT = ROOT / "build" / "site"
SRC = OUT / "src"
HTML = OUT / "_build" / "html"
WARNINGS = OUT / "warnings.txt"
# Pages besides the notebooks, each with the folder layout of the repository so that the
# README's and the notebooks' relative links resolve as they do on GitHub.
PAGES = ["README.md", "docs/instructors.md", "benchmarks/RESULTS.md", "LICENSES/CC-BY-4.0.md"]
FILES = ["LICENSE", "docs/wave_explorer.png", "benchmarks/scaling.png"]
BADGE = re.compile(r"\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]\(([^)]+)\)")


def course_repo():
    """OWNER/NAME from the README's Binder badge (what `make set-repo` writes)."""
    spec = importlib.util.spec_from_file_location("set_repo", ROOT / "binder" / "set_repo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.current_repo((ROOT / "README.md").read_text())


def notebooks():
    return sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def table_of_contents():
    """The book's chapters: the README, every numbered notebook, then the instructors' pages."""
    return {
        "format": "jb-book",
        "root": "README",
        "parts": [
            {"caption": "Notebooks",
             "chapters": [{"file": f"notebooks/{p.stem}"} for p in notebooks()]},
            {"caption": "For instructors",
             "chapters": [{"file": "docs/instructors"}, {"file": "benchmarks/RESULTS"}]},
            {"caption": "About", "chapters": [{"file": "LICENSES/CC-BY-4.0"}]},
        ],
    }


def config(repo):
    """docs/site/_config.yml with the repository's name and this folder's extension path."""
    settings = yaml.safe_load((HERE / "_config.yml").read_text())
    settings["repository"]["url"] = f"https://github.com/{repo}"
    sphinx = settings["sphinx"]
    sphinx["local_extensions"] = {"course_launch": str(HERE / "_ext")}
    sphinx["extra_extensions"].remove("course_launch")
    sphinx["config"]["course_repo"] = repo
    return settings


def readme_for_the_site(text):
    """The README without its badge image, which would load from mybinder.org: a text link."""
    return BADGE.sub(r"[Launch the course on Binder](\1)", text)


def hide_colab_cell(path):
    """Tag the notebook's first code cell, the Colab set-up cell, to be left out of its page
    (it does nothing off Colab, and would be the first code on every page and in search)."""
    notebook = json.loads(path.read_text())
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    tags = first.setdefault("metadata", {}).setdefault("tags", [])
    tags.append("remove-cell")
    path.write_text(json.dumps(notebook, indent=1))


def stage(repo):
    """Copy the book's sources to build/site/src and write its _config.yml and _toc.yml."""
    if SRC.exists():
        shutil.rmtree(SRC)
    for name in PAGES + FILES + [f"notebooks/{p.name}" for p in notebooks()]:
        target = SRC / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    for path in notebooks():
        hide_colab_cell(SRC / "notebooks" / path.name)
    readme = SRC / "README.md"
    readme.write_text(readme_for_the_site(readme.read_text()))
    (SRC / "_toc.yml").write_text(yaml.safe_dump(table_of_contents(), sort_keys=False))
    (SRC / "_config.yml").write_text(yaml.safe_dump(config(repo), sort_keys=False))


def build():
    stage(course_repo())
    jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(jupyter_book), "build", str(SRC), "--path-output", str(OUT),
                             "--all", "--keep-going"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    print(result.stdout)
    result.check_returncode()
    # Sphinx's warnings (a broken link, a missing image) do not stop the build; they are kept
    # for tests/test_site.py, which fails on any.
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    warnings = [line for line in plain.splitlines() if "WARNING:" in line]
    WARNINGS.write_text("".join(line + "\n" for line in warnings))
    if warnings:
        print(f"build_site: {len(warnings)} warnings, listed in {WARNINGS.relative_to(ROOT)}")
    print(f"build_site: the website is in {HTML.relative_to(ROOT)}/ "
          f"(open {(HTML / 'index.html').relative_to(ROOT)})")


if __name__ == "__main__":
    build()
