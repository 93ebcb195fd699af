"""nbgrader's Execute step, made safe for code that runs away, kills its kernel or cheats.

nbgrader runs a submission's cells in one kernel, in order, and scores a test cell by whether
it ended in an error. `GradingExecute` keeps that model and adds, around each cell:

- **a kernel with limits** (`autograder/kernel.py`): memory, file size, trusted imports;
- **output limits**: a cell's output beyond `max_output_mib` is dropped (a `print` in an
  endless loop cannot fill the grader's memory or the notebook), and test cells cannot emit
  an `execute_result`, which nbgrader would read as a partial score;
- **recovery**: when the kernel dies (`os._exit`, a segfault, memory exhausted) or stays busy
  after a timed-out cell is interrupted, the cell is marked with a `KernelDied` or
  `KernelStuck` error, a new kernel runs the cells above it again (without the cells that
  killed it or timed out), and grading goes on: later parts keep the points they earn;
- **an integrity check**: a fingerprint of numpy, backprop_ref, the builtins and the IPython
  shell is taken in the fresh kernel before any submitted code runs, and again before and
  after every test cell. If the submitted code replaced any of them, the test does not count:
  it gets an `IntegrityError` naming what changed, and scores zero.

The fingerprint is computed in the kernel by code sent from here, and compared here, where
the submission cannot reach. What this does not stop: autograder/README.md.
"""

from __future__ import annotations

import ast
import json
import signal
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer

from autograder.cells import is_test

KERNEL_SCRIPT = str(Path(__file__).with_name("kernel.py"))
MIB = 1 << 20

# Sent to the kernel; leaves one JSON string, name -> identity, in __grader_fingerprint__, and
# its SHA-256 in __grader_digest__ (the grader fetches the 130 kB string only when that changes).
FINGERPRINT = r"""
def __grader_fingerprint_make():
    import json, sys
    trusted = ("builtins", "math", "numpy", "numpy.linalg", "numpy.random", "numpy.testing")
    volatile = {"_", "__", "___", "exit", "quit", "get_ipython", "display", "input", "raw_input",
                "copyright", "credits", "license", "help", "__IPYTHON__", "__builtins__"}

    def identity(value):
        parts = [id(value)]
        for attribute in ("__code__", "__defaults__", "__kwdefaults__", "__func__", "fget"):
            inner = getattr(value, attribute, None) if not isinstance(value, type) else None
            if inner is not None:
                parts.append(id(inner))
                if attribute in ("__func__", "fget"):
                    parts.append(id(getattr(inner, "__code__", None)))
        return ":".join(map(str, parts))

    def members(prefix, namespace, out):
        for name, value in list(namespace.items()):
            if name not in volatile:
                out[prefix + name] = identity(value)

    out = {}
    names = [n for n in list(sys.modules) if n in trusted or n.split(".")[0] == "backprop_ref"]
    for module_name in sorted(names):
        module = sys.modules[module_name]
        out[module_name] = str(id(module))
        members(module_name + ".", vars(module), out)
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__.split(".")[0] == "backprop_ref":
                members(f"{value.__module__}.{value.__qualname__}.", vars(value), out)
    shell = get_ipython()
    for owner in (shell, getattr(shell, "kernel", None)):
        if owner is None:
            continue
        for cls in type(owner).__mro__[:-1]:
            members(f"{cls.__module__}.{cls.__qualname__}.", vars(cls), out)
        for name, value in list(vars(owner).items()):  # an instance attribute hiding a method
            if callable(getattr(type(owner), name, None)):
                out[f"{type(owner).__qualname__}().{name}"] = identity(value)
    return json.dumps(out)

__grader_fingerprint__ = __grader_fingerprint_make()
__grader_digest__ = __import__("hashlib").sha256(__grader_fingerprint__.encode()).hexdigest()
del __grader_fingerprint_make
"""


class GradingKernelManager(AsyncKernelManager):
    """Starts `autograder/kernel.py` (the limited kernel) instead of `ipykernel_launcher`."""

    memory_mib = Integer(2048, help="Address-space limit of the grading kernel (MiB).").tag(config=True)
    file_mib = Integer(256, help="Largest file the grading kernel may write (MiB).").tag(config=True)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if cmd[1:3] != ["-m", "ipykernel_launcher"]:
            raise RuntimeError(f"the grading kernel runs Python kernels only; the notebook's "
                               f"kernel would start with {cmd[:3]}")
        return [cmd[0], KERNEL_SCRIPT, f"--memory-mib={self.memory_mib}",
                f"--file-mib={self.file_mib}", *cmd[3:]]


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class GradingExecute(Execute):
    """nbgrader's Execute with limits, recovery and an integrity check (see the module)."""

    max_output_mib = Float(1.0, help="Output kept per cell (MiB); the rest is dropped.").tag(config=True)
    max_restarts = Integer(3, help="Kernel restarts per notebook before grading gives up.").tag(config=True)
    stuck_seconds = Integer(10, help="How long an interrupted kernel may stay busy (s).").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", GradingKernelManager)
        super().__init__(*args, **kwargs)

    # ---- one cell ------------------------------------------------------------------------

    def preprocess_cell(self, cell, resources, index):
        if index == 0 or not hasattr(self, "_baseline"):
            self._start_notebook()
        if cell.cell_type != "code":
            return cell, self.resources
        if not self._gave_up and not self._alive():  # it stopped after the last cell ended
            last = max((i for i in range(index) if self.nb.cells[i].cell_type == "code"), default=None)
            if last is not None:
                self._skip.add(last)
                self.nb.cells[last].outputs.append(error_output("KernelDied", self._death_message(
                    "just after this cell ran (exit(), quit(), or a thread it started)")))
            self._recover(index, "died")
        if self._gave_up:
            cell.outputs = [error_output("NotRun", self._gave_up)]
            return cell, self.resources
        test = is_test(cell)
        if test and not self._unchanged and self._tampered(cell, "before"):
            return cell, self.resources
        self._unchanged = False  # until the check after this cell, if it is a test
        self._output_bytes = 0
        try:
            cell, _ = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._fail(cell, index, "died", "KernelDied", self._death_message(
                "while running this cell (a crash, os._exit(), or memory exhausted)"))
            return cell, self.resources
        except CellTimeoutError:  # interrupted, and still no answer from the kernel
            self._fail(cell, index, "stuck", "KernelStuck", "the kernel did not stop when this "
                       "cell was interrupted after its time limit, so it was started again")
            return cell, self.resources
        timed_out = [o for o in cell.outputs if o.get("ename") == self.error_on_timeout["ename"]]
        for output in timed_out:
            output.evalue = output.get("evalue") or (
                f"this cell ran past its time limit of {self.timeout} s and was interrupted")
        if timed_out:
            self._skip.add(index)  # not run again if the kernel has to be restarted later
            if not self._responds():
                self._fail(cell, index, "stuck", "KernelStuck", f"the kernel was still busy "
                           f"{self.stuck_seconds} s after this cell was interrupted after its "
                           f"time limit, so it was started again")
                return cell, self.resources
        if test:
            cell.outputs = [o for o in cell.outputs if o.output_type != "execute_result"]
            self._unchanged = not self._tampered(cell, "while")
        return cell, self.resources

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        payload = kwargs["execute_reply"]["content"].get("payload", [])
        if any(item.get("source") == "ask_exit" for item in payload):  # exit() or quit()
            process = self._process()
            if process is not None:
                try:
                    process.wait(timeout=10)
                except Exception:  # noqa: BLE001 (still running: the next cell finds out)
                    pass

    def _fail(self, cell, index: int, why: str, ename: str, evalue: str) -> None:
        self._skip.add(index)
        cell.outputs.append(error_output(ename, evalue))
        self._recover(index, why)

    def _start_notebook(self) -> None:
        self._skip: set[int] = set()
        self._restarts = 0
        self._gave_up = ""
        self._take_baseline()

    # ---- output limits -------------------------------------------------------------------

    def process_message(self, msg, cell, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") in ("stream", "display_data", "execute_result", "update_display_data"):
            size = len(content.get("text", "")) if msg["msg_type"] == "stream" else \
                len(json.dumps(content.get("data", {})))
            limit = int(self.max_output_mib * MIB)
            before = self._output_bytes
            self._output_bytes += size
            if self._output_bytes > limit:
                if before >= limit:
                    return None
                if msg["msg_type"] == "stream":
                    content["text"] = content["text"][:limit - before]
                    super().process_message(msg, cell, cell_index)
                # its own output, so that nbgrader's LimitOutput, which keeps the first lines
                # of each output, keeps it
                cell.outputs.append(NotebookNode(output_type="display_data", metadata={}, data={
                    "text/plain": f"[grader: output beyond {self.max_output_mib:g} MiB was dropped]"}))
                return None
        return super().process_message(msg, cell, cell_index)

    # ---- the integrity check -------------------------------------------------------------

    def _take_baseline(self) -> None:
        self._unchanged = True  # nothing ran since the last check: the next test needs none
        self._baseline_digest = self._digest()
        self._baseline = self._fetch("__grader_fingerprint__")

    def _digest(self) -> str | None:
        """Fingerprint the kernel; return the digest (the fingerprint stays in the kernel)."""
        return self._fetch("__grader_digest__", FINGERPRINT)

    def _fetch(self, name: str, code: str = "pass"):
        """Run `code` in the kernel, then read the variable `name` (JSON for the fingerprint)."""
        reply = self._run(code, timeout=60, user_expressions={"value": name})
        result = reply["content"].get("user_expressions", {}).get("value", {})
        text = result.get("data", {}).get("text/plain") if result.get("status") == "ok" else None
        try:
            value = ast.literal_eval(text)
            return json.loads(value) if name == "__grader_fingerprint__" else value
        except (SyntaxError, TypeError, ValueError):
            return {"(the fingerprint)": "could not be computed: the kernel answered "
                    + repr(result)[:300]}

    def _tampered(self, cell: NotebookNode, when: str) -> bool:
        digest = self._digest()
        if digest == self._baseline_digest:
            return False
        now = self._fetch("__grader_fingerprint__")
        changed = sorted(k for k, v in self._baseline.items() if now.get(k) != v)
        if not changed:  # only additions (numpy.fft imported, say): nothing the tests use
            self._baseline_digest = digest
            return False
        shown = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
        moment = "before this test ran" if when == "before" else "while this test ran"
        cell.outputs = [error_output("IntegrityError", (
            f"this test does not count: {moment}, the notebook's code replaced {shown}, which "
            f"the tests rely on. Remove the code that assigns to them and run the notebook again."))]
        self.log.warning("integrity: %s changed %s: %s", cell.metadata.nbgrader.get("grade_id"),
                         moment, shown)
        return True

    # ---- a dead or stuck kernel ----------------------------------------------------------

    def _run(self, code: str, *, timeout: float, **kwargs) -> dict:
        return run_sync(self.kc.execute_interactive)(
            code, silent=True, store_history=False, timeout=timeout,
            output_hook=lambda msg: None, **kwargs)

    def _responds(self) -> bool:
        try:
            self._run("pass", timeout=self.stuck_seconds)
            return True
        except TimeoutError:
            return False

    def _process(self):
        return getattr(getattr(self.km, "provisioner", None), "process", None)

    def _alive(self) -> bool:
        return bool(run_sync(self.km.is_alive)())

    def _death_message(self, when: str) -> str:
        process = self._process()
        code = process.poll() if process is not None else None
        if code is None:
            how = "the kernel stopped"
        elif code < 0:
            how = f"the kernel was killed by signal {signal.Signals(-code).name}"
        else:
            how = f"the kernel exited with status {code}"
        return (f"{how} {when}; a new kernel ran the cells above again, and the cells that "
                f"need this one score zero")

    def _recover(self, index: int, why: str) -> None:
        """A new kernel, the cells above `index` run again (outputs kept from the first run)."""
        self._restarts += 1
        if self._restarts > self.max_restarts:
            self._gave_up = (f"the kernel {why} {self._restarts} times, so the cells after "
                             f"cell {index + 1} were not run")
            return
        self.log.warning("kernel %s at cell %d: restarting it and running the cells above again",
                         why, index + 1)
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=60)
        self._take_baseline()  # the new kernel's, before any cell runs again
        for earlier, cell in enumerate(self.nb.cells[:index]):
            if cell.cell_type == "code" and earlier not in self._skip:
                try:
                    self._run(cell.source, timeout=self.timeout)
                except TimeoutError:
                    self._skip.add(earlier)
                    if not self._responds():
                        return self._recover(index, "stuck")
