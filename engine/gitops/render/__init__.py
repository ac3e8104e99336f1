"""Human forms of a plan, each drawn only from :meth:`engine.gitops.plan.Plan.to_json`.

``render_human`` is the terminal form, ``render_markdown`` the pull-request comment.
"""

from engine.gitops.render.human import render_human
from engine.gitops.render.markdown import render_markdown

__all__ = ["render_human", "render_markdown"]
