"""moto's server, serving one request at a time.

moto undoes a failed DynamoDB transaction by restoring a copy of the whole
table taken when the transaction started, which also undoes what other
requests wrote meanwhile. DynamoDB never does that, and the concurrency
tests would see lost writes that production cannot have. Serializing the
requests keeps moto's rollback exact; clients still race each other between
requests, which is what the tests exercise.

Usage: python moto_serialized.py HOST PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            # Run the whole response inside the lock (bodies may be lazy).
            return list(app(environ, start_response))

    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
