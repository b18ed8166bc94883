"""Runs a notebook headlessly with nbclient on the kernel its metadata names (seglens).

Usage: python run_notebook.py NOTEBOOK WORKDIR. JUPYTER_PATH must point at the kernelspec's data dir.
Prints the executed notebook's code cells as JSON: [{"outputs": [{output_type, text or data}]}].
"""
import json
import sys

import nbformat
from nbclient import NotebookClient

nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=120, startup_timeout=120, resources={"metadata": {"path": sys.argv[2]}}).execute()
cells = []
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    outputs = []
    for out in cell.outputs:
        entry = {"output_type": out.output_type}
        if "text" in out:
            entry["text"] = out.text
        if "data" in out:
            entry["data"] = dict(out.data)
        outputs.append(entry)
    cells.append({"execution_count": cell.execution_count, "outputs": outputs})
print(json.dumps(cells))
