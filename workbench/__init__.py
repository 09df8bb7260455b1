"""The lead's workbench (`schedule serve`): a local web app over the same library and the same
output folders as the CLI. `workspace` and `actions` are the library side; `app` the web skin."""
from workbench.app import create_app

__all__ = ["create_app"]
