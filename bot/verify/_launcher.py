"""dal-bot verify launcher: run a DAL's usage_examples.py with every DAL method observed.

Standalone (standard library only): `bot.verify` copies this file to a temporary directory and
runs `python <this file> usage_examples.py --all` with the DAL directory as the working directory.
It imports `repositories` and, when present, `transaction_service` from there, wraps every public
method of every class they define, then runs the script as `__main__`. Every call is written as two
JSON lines to the file named by $DALBOT_TRACE: a `call` line before the method runs and a `return`
or `raise` line after, so a run killed on timeout still shows which call never came back.
When `dalbot_requests.py` sits beside it, the DynamoDB requests made inside each top-level call
are traced too (`request` lines carrying that call's seq; see bot/verify/_requests.py).

When $DALBOT_PROBE names `READY_FD,PLAN_FD,RESULT_FILE` (and `dalbot_probe.py` sits beside it),
the process does not end with the script: tracing stops, it writes `ready <exit code>` to
READY_FD, reads the range probe's plan from PLAN_FD (the parent seeds the tables meanwhile) and
runs it with the modules the script already imported (see bot/verify/_probe.py). Then it exits
as the script did. The probe saves a second process that would import boto3, pydantic and the
DAL again.
"""

import functools
import inspect
import json
import os
import runpy
import sys
import threading
import time
import traceback

_TRACE_ENV = 'DALBOT_TRACE'
_PROBE_ENV = 'DALBOT_PROBE'
_PRICED_ENV = 'DALBOT_PRICED'  # Owner.method,...: only their requests are traced (all if unset)
_MODULES = ('repositories', 'transaction_service')
_REPR_LIMIT = 300

_lock = threading.Lock()
_local = threading.local()
_counter = [0]
_out = None
_PRICED = None


def _emit(record):
    if _out is None:
        return  # the script has ended: the probe's calls are not the script's
    line = json.dumps(record, default=str, ensure_ascii=False)
    with _lock:
        _out.write(line + '\n')
        _out.flush()


def _short(value):
    try:
        text = repr(value)
    except Exception as e:  # a broken __repr__ must not break the run
        text = f'<unrepresentable {type(value).__name__}: {e}>'
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + '...'


def _is_empty(value):
    """None, False, [], {}, (), ([], None), or a dict whose values are all None."""
    if value is None or value is False:
        return True
    if isinstance(value, (list, tuple, dict, set)) and len(value) == 0:
        return True
    if isinstance(value, tuple) and len(value) == 2 and value[1] is None:
        return isinstance(value[0], list) and not value[0]
    if isinstance(value, dict) and all(v is None for v in value.values()):
        return True
    return False


def _summary(value):
    kind = type(value).__name__
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], list):
        return f'page of {len(value[0])} item(s), next key {_short(value[1])}'
    if isinstance(value, (list, tuple, set, dict)):
        return f'{kind} of {len(value)}'
    return kind


def _wrap(owner, name, function):
    @functools.wraps(function)
    def observed(*args, **kwargs):
        caller = sys._getframe(1)
        depth = getattr(_local, 'depth', 0)
        with _lock:
            _counter[0] += 1
            seq = _counter[0]
        _emit(
            {
                'event': 'call',
                'seq': seq,
                'owner': owner,
                'method': name,
                'depth': depth,
                'caller_file': os.path.basename(caller.f_code.co_filename),
                'caller_line': caller.f_lineno,
                'caller_function': caller.f_code.co_name,
                'args': _short(args[1:]),
                'kwargs': _short(kwargs),
            }
        )
        _local.depth = depth + 1
        if depth == 0 and (_PRICED is None or f'{owner}.{name}' in _PRICED):
            _local.top = seq
        start = time.perf_counter()
        try:
            result = function(*args, **kwargs)
        except BaseException as e:
            _emit(
                {
                    'event': 'raise',
                    'seq': seq,
                    'seconds': time.perf_counter() - start,
                    'error_type': type(e).__name__,
                    'error': str(e)[:2000],
                    # No frame of the method in the traceback: the arguments did not bind
                    # (a call-site TypeError), the method's body never ran.
                    'call_site': e.__traceback__.tb_next is None,
                }
            )
            raise
        finally:
            _local.depth = depth
            if depth == 0:
                _local.top = None
        _emit(
            {
                'event': 'return',
                'seq': seq,
                'seconds': time.perf_counter() - start,
                'empty': _is_empty(result),
                'summary': _summary(result),
                'result': _short(result),
            }
        )
        return result

    return observed


def _instrument(module):
    wrapped = []
    for cls in list(vars(module).values()):
        if not inspect.isclass(cls) or cls.__module__ != module.__name__:
            continue
        for name, attr in list(vars(cls).items()):
            if name.startswith('_') or not inspect.isfunction(attr):
                continue
            setattr(cls, name, _wrap(cls.__name__, name, attr))
            wrapped.append(f'{cls.__name__}.{name}')
    return wrapped


def _current_call():
    """The seq of the top-level observed call running in this thread, or None."""
    return getattr(_local, 'top', None)


def _trace_requests():
    here = os.path.dirname(os.path.abspath(__file__))
    if not os.path.exists(os.path.join(here, 'dalbot_requests.py')):
        return False
    sys.path.insert(0, here)
    try:
        import dalbot_requests
    finally:
        sys.path.remove(here)
    return dalbot_requests.install(_emit, _current_call)


def main():
    global _out, _PRICED
    _out = open(os.environ[_TRACE_ENV], 'a', encoding='utf-8')
    if os.environ.get(_PRICED_ENV):
        _PRICED = frozenset(os.environ[_PRICED_ENV].split(','))
    script, rest = sys.argv[1], sys.argv[2:]
    dal_dir = os.getcwd()
    sys.path.insert(0, dal_dir)
    sys.argv = [script, *rest]
    _emit({'event': 'start', 'pid': os.getpid(), 'python': sys.version.split()[0]})
    requests_traced = _trace_requests()
    wrapped = []
    for name in _MODULES:
        if name == 'transaction_service' and not os.path.exists(f'{name}.py'):
            continue
        wrapped += _instrument(__import__(name))
    _emit({'event': 'instrumented', 'methods': wrapped, 'requests': requests_traced})
    code, pending = 0, None
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        _emit({'event': 'exit', 'code': code})
        pending = e
    except BaseException as e:
        code, pending = 1, e
    else:
        _emit({'event': 'exit', 'code': code})
    probe = os.environ.get(_PROBE_ENV)
    if probe:
        if pending is not None and not isinstance(pending, SystemExit):
            # as the interpreter would, before the probe
            traceback.print_exception(type(pending), pending, pending.__traceback__)
            pending = SystemExit(1)
        _stop_tracing()
        _probe(probe, code)
    if pending is not None:
        raise pending


def _stop_tracing():
    global _out
    with _lock:
        _out.close()
        _out = None


def _probe(spec, code):
    """Say the script is done, run the plan the parent sends (nothing: no probe)."""
    ready, plan, result = spec.split(',', 2)
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(int(ready), f'ready {code}\n'.encode())
    os.close(int(ready))
    with os.fdopen(int(plan), encoding='utf-8') as f:
        text = f.read()
    if not text.strip():
        return
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    try:
        import dalbot_probe

        dalbot_probe.run(text, result)
    except Exception:  # the probe's own failure is not the script's: its output stays clean
        with open(result, 'w', encoding='utf-8') as f:
            json.dump({'failed': traceback.format_exc()[-2000:]}, f)
    finally:
        sys.path.remove(here)


if __name__ == '__main__':
    main()
