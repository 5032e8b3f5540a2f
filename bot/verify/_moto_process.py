"""dal-bot's embedded moto server, as a process of its own: `python _moto_process.py HOST PORT`.

moto's `DomainDispatcherApplication` on a threaded werkzeug server, request logging off (a
line per request would drown the script's output). It prints `port N` once it listens (or
`error ...` when it cannot) and ends when its standard input closes: when the bot stops it, or
when the bot itself is gone. A process, not a thread of the bot: moto's work then has a core
and an interpreter lock of its own, not the bot's while it implements and judges other DALs.
"""

import logging
import os
import sys
import threading


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log(self, type, message, *args):  # noqa: A002
            """Silent."""

    logging.getLogger('werkzeug').setLevel(logging.ERROR)
    app = DomainDispatcherApplication(create_backend_app)
    try:
        server = make_server(host, port, app, threaded=True, request_handler=Quiet)
    except (OSError, SystemExit) as e:  # werkzeug exits when bind fails
        print(f'error {getattr(e, "strerror", None) or e}', flush=True)
        sys.exit(1)
    print(f'port {server.server_address[1]}', flush=True)
    threading.Thread(target=_end_with_stdin, daemon=True).start()
    server.serve_forever(0.05)


def _end_with_stdin():
    sys.stdin.read()
    os._exit(0)


if __name__ == '__main__':
    main()
