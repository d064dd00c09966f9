"""Interactive review of WOE bins in JupyterLab (issue 21).

:class:`BinEditor` holds the operations (merge, split, regroup, assign, reset, reasons, save);
:meth:`BinEditor.ui` gives an ipywidgets front end over them, with no server of its own.
"""

from riskresearch.bineditor.editor import BinEditor, monotonicity

__all__ = ["BinEditor", "monotonicity"]
