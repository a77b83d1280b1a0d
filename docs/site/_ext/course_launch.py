"""A box at the top of every notebook's page: how to run it (Binder, Colab, your own machine).

Configured by build_site.py through `course_repo` (OWNER/NAME, from the README's badge).
"""

import html
import posixpath

BINDER = "https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/{path}"
COLAB = "https://colab.research.google.com/github/{repo}/blob/{branch}/{path}"


def launch_box(repo, pagename):
    """HTML for the notebook page `pagename` (e.g. 'notebooks/01_pytorch_autograd')."""
    name = posixpath.basename(pagename) + ".ipynb"
    student, solved = f"student/{name}", f"notebooks/{name}"
    links = " &middot; ".join([
        f'<a class="reference external" href="{BINDER.format(repo=repo, path=student)}">'
        "Binder: student version</a>",
        f'<a class="reference external" href="{COLAB.format(repo=repo, branch="student", path=student)}">'
        "Colab: student version</a>",
        f'<a class="reference external" href="{BINDER.format(repo=repo, path=solved)}">'
        "Binder: with solutions</a>"])
    return (
        '<div class="admonition tip course-launch">'
        '<p class="admonition-title">Run this notebook</p>'
        f"<p>{links}</p>"
        "<p>On your own machine: <code>git clone https://github.com/"
        f"{html.escape(repo)}.git</code>, then <code>make lab</code> in the clone, and open "
        f"<code>{html.escape(student)}</code> (exercises blank) or "
        f"<code>{html.escape(solved)}</code> (solved). A Binder session keeps nothing after "
        "it ends: download your notebook (File &gt; Download) before you close it.</p>"
        "</div>")


def add_launch_box(app, pagename, templatename, context, doctree):
    if pagename.startswith("notebooks/") and "body" in context:
        context["body"] = launch_box(app.config.course_repo, pagename) + context["body"]


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Each script once: sphinx-thebe 0.3.1 registers its inline set-up twice under Jupyter
    Book 1, and the second `const THEBE_JS_URL` is a console error on every page."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        # one copy has filename None, the other "": the same inline script
        attributes = getattr(script, "attributes", {})
        key = (str(getattr(script, "filename", script) or ""), repr(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.add_config_value("course_repo", "OWNER/REPO", "html")
    app.connect("html-page-context", add_launch_box)
    app.connect("html-page-context", drop_duplicate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
