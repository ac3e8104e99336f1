"""portkey-gitops engine: the Portkey client and the GitOps reconciler."""

__version__ = "0.1.0"
