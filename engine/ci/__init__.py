"""The GitHub Actions front door: ``portkey-gitops ci plan|apply|drift`` (see :mod:`engine.ci.commands`).

Everything the composite action does lives here, in Python: reading GitHub's environment and event,
planning and applying through :mod:`engine.gitops.workflow`, and writing step outputs, the job summary,
one sticky pull-request comment and one drift issue per environment through GitHub's REST API.
"""
