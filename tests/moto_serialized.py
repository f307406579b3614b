"""moto's server, serving one request at a time.

moto undoes a failed DynamoDB transaction by restoring a copy of the whole
table taken when the transaction started, which also undoes what other
requests wrote meanwhile. DynamoDB never does that, and the concurrency
tests would see lost writes that production cannot have. Serializing the
requests keeps moto's rollback exact; clients still race each other between
requests, which is what the tests exercise.

A query of the table (not of an index) reads only its partition here.
moto 5.2.5 sorts every item of the table for each query, so its cost
grows with the table, which DynamoDB's does not; a conversation is read
with a query, and the longer tests slowed as their tables grew. The
results are the same: moto filters what it sorted down to the partition.

Usage: python moto_serialized.py HOST PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.dynamodb.models.table import Table
from werkzeug.serving import run_simple


def query_the_partition_only() -> None:
    """Table.query over the queried partition alone (see the module)."""
    original = Table.query

    def query(self, hash_key, *args, **kwargs):
        # moto's backend passes index_name as the eighth argument.
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name is not None or hash_key is None or not self.range_key_attr:
            return original(self, hash_key, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())
        # Requests run one at a time (below): the override is this one's.
        self.all_items = lambda: sorted(partition, key=lambda i: (i.hash_key, i.range_key))
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    query_the_partition_only()
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            # Run the whole response inside the lock (bodies may be lazy).
            return list(app(environ, start_response))

    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
