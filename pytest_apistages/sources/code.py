"""Turning the code a config or template names into Python callables, run in-process.

Three forms: `package.module:attribute` importable from an `apistages.yaml`'s folder; a
SAM/CloudFormation `CodeUri` folder with `Handler: module.function`; and inline
`Code.ZipFile`/`InlineCode` source. Every mistake is a `ConfigError` at the config key."""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.machinery
import linecache
import os
import re
import site
import sys
import sysconfig
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import ConfigError, shown
from ..functions import environment_variables
from .nodes import Node

# Handler modules a config imported from its own folder: name -> (that folder, the module).
_IMPORTED_BY: dict[str, tuple[Path, ModuleType]] = {}


def import_handler(node: Node, base_dir: Path, what: str) -> Any:
    """`package.module:attribute`, importable from the config's folder."""
    spec = node.string(
        re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$"),
        f"write the {what} as package.module:attribute",
    )
    module_name, _, attribute = spec.partition(":")
    folder = str(base_dir.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as e:
        if e.name == module_name.split(".")[0] or e.name == module_name:
            raise node.error(
                f"cannot import module {shown(module_name)}: {e}",
                f"modules are imported from the config's folder {base_dir}",
            ) from None
        raise _import_failed(node, module_name, e) from None
    except Exception as e:
        raise _import_failed(node, module_name, e) from None
    elsewhere = _imported_elsewhere(target, module_name, Path(folder))
    if elsewhere is not None:
        raise node.error(
            f"module {shown(module_name)} is already imported from {elsewhere}, not from this "
            "config's "
            f"folder {base_dir}",
            "Python imports a module name once per process: give the two modules distinct "
            "names (e.g. put the handlers in a package named after the API)",
        )
    for part in attribute.split("."):
        target = _attribute(node, target, module_name, part)
    if not callable(target):
        raise node.error(f"{spec} is not callable ({type(target).__name__})", f"point at a {what}")
    return target


def _import_failed(
    node: Node, module_name: str, error: BaseException, fix: str = ""
) -> ConfigError:
    """The user's code raised while its module was imported: say where, in one line; the
    whole traceback rides along for `pytest -v` and `--full-trace`."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "importlib" not in frame.filename and not frame.filename.startswith("<frozen")
    ]
    where = ""
    if isinstance(error, SyntaxError) and error.filename:
        where = f" at {error.filename}:{error.lineno}"
    elif frames:
        where = f" at {frames[-1].filename}:{frames[-1].lineno} ({(frames[-1].line or '')[:80]})"
    failed = node.error(
        f"importing {shown(module_name)} failed: {type(error).__name__}: {str(error)[:300]}{where}",
        fix,
    )
    failed.detail = "".join(traceback.format_exception(error))
    return failed


def _imported_elsewhere(module: ModuleType, module_name: str, folder: Path) -> str | None:
    """Where `module_name` comes from, when another config imported it from its folder although
    this config's folder has its own: the second API would run the first one's code. A module
    installed, or earlier on sys.path, wins as it does in any Python program."""
    owner = _IMPORTED_BY.get(module_name)
    if owner is not None and owner[1] is module:
        if owner[0] != folder and _own_module(module_name, folder) is not None:
            return str(getattr(module, "__file__", None) or owner[0])
        return None
    origin = _own_module(module_name, folder)
    loaded = getattr(module, "__file__", None)
    if origin is not None and loaded is not None and Path(loaded).resolve() == origin:
        _IMPORTED_BY[module_name] = (folder, module)
    return None


def _own_module(module_name: str, folder: Path) -> Path | None:
    """The file `module_name` would be imported from in `folder`, if it is there."""
    locations = [str(folder)]
    spec = None
    for part in module_name.split("."):
        spec = importlib.machinery.PathFinder.find_spec(part, locations)
        if spec is None:
            return None
        locations = list(spec.submodule_search_locations or ())
    if spec is None or spec.origin is None or not spec.has_location:
        return None
    return Path(spec.origin).resolve()


def _attribute(node: Node, target: Any, module_name: str, name: str) -> Any:
    if not hasattr(target, name):
        names = [n for n in dir(target) if not n.startswith("_")]
        close = difflib.get_close_matches(name, names, n=1)
        raise node.error(
            f"{shown(module_name)} has no attribute {shown(name)}",
            f"did you mean {shown(close[0])}?" if close else f"it defines: {', '.join(names[:10])}",
        )
    return getattr(target, name)


# AWS's Python handler: a module path (dots or slashes) relative to the code's root, a dot, and
# the function's name.
_HANDLER = re.compile(r"^[\w-]+(?:[./][\w-]+)*\.[A-Za-z_]\w*$")

# Folder modules imported for a handler: (resolved folder, module, environment) -> the module.
_LOADED: dict[tuple[Path, str, tuple[tuple[str, str], ...]], ModuleType] = {}
# sys.path, sys.modules and os.environ are process-wide: one handler import at a time.
_LOCK = threading.RLock()


def handler_from_folder(
    node: Node,
    folder: Path,
    handler: str,
    environment: Mapping[str, str] | None = None,
    folder_node: Node | None = None,
) -> Callable[..., Any]:
    """The function `Handler: module.function` names in a `CodeUri` folder, imported as Lambda
    does: the folder first on sys.path and the module under its own name, so `import utils`
    finds the folder's `utils.py` and a package is one module by absolute or relative import.
    `environment` is in os.environ while the module is imported.

    SAM folders all hold an `app.py` (often a `utils.py` too), yet each function runs its own:
    same-named modules of the project or of another folder are set aside during the import,
    and the modules loaded from the folder leave sys.modules after it (the handler keeps its
    references). Installed libraries are shared. The same folder, handler and environment give
    the same function, imported once.

    The folder is on sys.path only during the import, so an import the function does when
    called (`import utils` inside it, or a relative one) raises ModuleNotFoundError, or finds
    whatever sys.path then holds under that name: import siblings at the module's top."""
    module_name, function = _split_handler(node, handler)
    if not folder.is_dir():
        node = folder_node or node  # a folder's mistake is said where the folder is given
        if folder.exists():
            raise node.error(
                f"CodeUri {folder} is a file, not a folder",
                "point CodeUri at the folder holding the code (unpack a .zip package first)",
            )
        raise node.error(
            f"CodeUri folder {folder} does not exist",
            "CodeUri paths are relative to the template's folder",
        )
    root = folder.resolve()
    key = (root, module_name, tuple(sorted((environment or {}).items())))
    with _LOCK:
        module = _LOADED.get(key)
        if module is None:
            importlib.invalidate_caches()  # files a test has just written are seen
            if _own_module(module_name, root) is None:
                raise _missing_module(node, folder, handler, module_name, function)
            try:
                with environment_variables(environment or {}), _code_root(root, module_name):
                    module = importlib.import_module(module_name)
            except ModuleNotFoundError as e:
                raise _import_failed(
                    node,
                    module_name,
                    e,
                    f"install {shown(e.name)} where the tests run, or add it to the CodeUri "
                    "folder: Lambda imports from the function's package and its layers",
                ) from None
            except Exception as e:
                raise _import_failed(node, module_name, e) from None
            _LOADED[key] = module
    return _function(node, module, module_name, function, handler)


def handler_from_inline(
    node: Node,
    code: str,
    handler: str,
    name: str,
    environment: Mapping[str, str] | None = None,
) -> Callable[..., Any]:
    """The function `handler` names in a CloudFormation `Code.ZipFile` or SAM `InlineCode`
    source, which Lambda saves as `index.py` (so the handler is `index.function`). The module
    gets a name of its own (from `name` and the code) and stays importable under it; its
    tracebacks show `<inline code of NAME>` with the source lines. The same code gives the
    same function."""
    module_name, function = _split_handler(node, handler)
    if module_name != "index":
        raise node.error(
            f"Handler {shown(handler)} names module {shown(module_name)}, but inline code is "
            "saved as index.py",
            f"write Handler: index.{function}",
        )
    seed = repr((code, sorted((environment or {}).items())))
    digest = hashlib.sha256(seed.encode()).hexdigest()[:16]
    unique = "_apistages_inline_" + re.sub(r"\W", "_", name) + f"_{digest}"
    filename = f"<inline code of {name}>"
    with _LOCK:
        module = sys.modules.get(unique)
        if module is None:
            module = ModuleType(unique)
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
            sys.modules[unique] = module  # classes defined in the code look their module up
            try:
                with environment_variables(environment or {}):
                    exec(compile(code, filename, "exec", dont_inherit=True), module.__dict__)
            except Exception as e:
                del sys.modules[unique]
                raise _import_failed(node, module_name, e) from None
    return _function(node, module, module_name, function, handler)


def _split_handler(node: Node, handler: str) -> tuple[str, str]:
    """AWS's reading of a Python handler: the last dot ends the module, whose `/` are dots."""
    if not _HANDLER.match(handler):
        raise node.error(
            f"Handler {shown(handler)} is not in module.function form",
            "write the module's path in the code folder without .py, a dot, then the function: "
            "app.lambda_handler, or pkg/handlers.main",
        )
    module, _, function = handler.rpartition(".")
    return module.replace("/", "."), function


def _function(
    node: Node, module: ModuleType, module_name: str, function: str, handler: str
) -> Callable[..., Any]:
    target = _attribute(node, module, module_name, function)
    if not callable(target):
        raise node.error(
            f"{handler} is not callable ({type(target).__name__})", "point Handler at a function"
        )
    return target  # type: ignore[no-any-return]


def _missing_module(
    node: Node, folder: Path, handler: str, module_name: str, function: str
) -> ConfigError:
    """No file for the handler's module: what the folder does hold, and the likely one."""
    expected = module_name.replace(".", "/") + ".py"
    files = _python_files(folder)
    modules = [f.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for f in files]
    close = difflib.get_close_matches(module_name, modules, n=1)
    fix = ""
    if close:
        written = close[0].replace(".", "/") if "/" in handler else close[0]
        fix = f"did you mean {shown(f'{written}.{function}')}? "
    if files:
        listed = ", ".join(files[:10]) + (f", ... ({len(files)} in all)" if len(files) > 10 else "")
        fix += f"the folder's Python files: {listed}"
    else:
        fix += "the folder holds no .py files: is CodeUri the folder of this function's code?"
    return node.error(f"no module {expected} in CodeUri folder {folder}", fix)


def _python_files(folder: Path, depth: int = 3, limit: int = 200) -> list[str]:
    """The folder's .py files, shallowest first, skipping caches, hidden folders and the
    metadata of vendored packages (a built function folder can hold thousands)."""
    found: list[tuple[int, str]] = []
    for current, dirs, names in os.walk(folder):
        level = len(Path(current).relative_to(folder).parts)
        dirs[:] = sorted(
            d
            for d in dirs
            if level < depth - 1
            and not d.startswith((".", "__pycache__"))
            and not d.endswith((".dist-info", ".egg-info"))
        )
        for name in sorted(names):
            if name.endswith(".py"):
                found.append((level, (Path(current) / name).relative_to(folder).as_posix()))
        if len(found) >= limit:
            break
    return [path for _, path in sorted(found)]


@contextmanager
def _code_root(root: Path, module_name: str) -> Iterator[None]:
    """`root` first on sys.path, with no module of the same name as one of its own (from the
    project, or from another code folder) in the way; afterwards, the modules imported from
    `root` leave sys.modules and the ones set aside come back."""
    own = module_name.partition(".")[0]
    in_the_way = {
        name
        for name in _top_level_names(root) | {own}
        if name in sys.modules and (name == own or not _installed(sys.modules[name]))
    }
    aside = {
        key: module
        for key, module in list(sys.modules.items())
        if key.partition(".")[0] in in_the_way
    }
    for key in aside:
        del sys.modules[key]
    before = set(sys.modules)
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        try:
            sys.path.remove(str(root))
        except ValueError:
            pass
        # All judged before any leaves: a namespace package's path is read through its parent.
        loaded = [key for key in set(sys.modules) - before if _inside(sys.modules[key], root)]
        for key in loaded:
            del sys.modules[key]
        sys.modules.update(aside)


def _top_level_names(root: Path) -> set[str]:
    """The names `import NAME` would find in `root`: modules and regular packages."""
    suffixes = tuple(importlib.machinery.all_suffixes())
    names = set()
    for entry in os.scandir(root):
        if entry.is_dir() and os.path.exists(os.path.join(entry.path, "__init__.py")):
            names.add(entry.name)
        elif entry.is_file() and entry.name.endswith(suffixes):
            names.add(entry.name.partition(".")[0])
    return names


def _inside(module: ModuleType | None, root: Path) -> bool:
    """Whether `module` was loaded from under `root` (a namespace package by its paths)."""
    locations = [getattr(module, "__file__", None)]
    locations += list(getattr(module, "__path__", None) or ())
    return any(
        isinstance(place, str) and Path(place).resolve().is_relative_to(root) for place in locations
    )


def _installed(module: ModuleType | None) -> bool:
    """A module of the standard library or site-packages, or one with no file (built in):
    shared by every function, as on Lambda, where the runtime's own are loaded once."""
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        return True
    return any(Path(file).resolve().is_relative_to(place) for place in _installed_roots())


@cache
def _installed_roots() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    places = [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths]
    places += [*site.getsitepackages(), site.getusersitepackages()]
    return tuple(Path(place).resolve() for place in places)
