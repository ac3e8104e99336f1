"""Human forms of a plan, each drawn only from :meth:`engine.gitops.plan.Plan.to_json`.

``render_human`` is the terminal form, ``render_markdown`` the pull-request comment and
``render_json`` the machine form. Each escapes what comes from live data and files and
scrubs registered secret values from its result.
"""

from engine.gitops.render.human import render_human
from engine.gitops.render.jsonform import render_json
from engine.gitops.render.markdown import render_markdown

__all__ = ["render_human", "render_json", "render_markdown"]
