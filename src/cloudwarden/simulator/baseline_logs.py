"""What the workload's logs say on an ordinary day: requests, warnings, and the odd harmless trace."""

from __future__ import annotations

from cloudwarden.simulator.scenario import LogEffect

# Access-log and key=value lines from the web API, with a known, ignored exception now and then.
WEB = LogEffect(
    resource="ecs_service:web",
    per_minute=7,
    start=-400,
    lines=[
        '{ip} - - [{clf_ts}] "GET /api/products/{id} HTTP/1.1" 200 {bytes} "-" "Mozilla/5.0" rt={ms}ms',
        "INFO [{ts}] request_id={rid} method=POST path=/api/cart status=201 duration_ms={ms}",
        '{ip} - - [{clf_ts}] "GET /api/search?q=shoes HTTP/1.1" 200 {bytes} "-" "okhttp/4.12" rt={ms}ms',
        "INFO [{ts}] request_id={rid} method=GET path=/api/orders/{id} status=200 duration_ms={ms}",
        '{ip} - - [{clf_ts}] "GET /healthz HTTP/1.1" 200 2 "-" "ELB-HealthChecker/2.0" rt=1ms',
        "WARN [{ts}] request_id={rid} inventory client retry attempt={n} after 503",
        "INFO [{ts}] request_id={rid} method=GET path=/api/products/{id}/reviews status=200 duration_ms={ms}",
        '{ip} - - [{clf_ts}] "POST /api/checkout HTTP/1.1" 200 {bytes} "-" "Mozilla/5.0" rt={ms}ms',
        "ERROR [{ts}] request_id={rid} path=/api/coupons/validate unhandled exception\n"
        "Traceback (most recent call last):\n"
        '  File "/app/storefront/handlers/coupons.py", line 57, in validate\n'
        "    code = int(request.args['code'])\n"
        "ValueError: invalid literal for int() with base 10: 'SUMMER'",
        '{ip} - - [{clf_ts}] "GET /api/products/{id} HTTP/1.1" 404 112 "-" "curl/8.5" rt={ms}ms',
        "INFO [{ts}] request_id={rid} method=GET path=/api/cart status=200 duration_ms={ms}",
        "DEBUG [{ts}] pool stats size=20 in_use={n} waiting=0",
    ],
)
# JSON lines from the worker.
WORKER = LogEffect(
    resource="ecs_service:worker",
    per_minute=4,
    start=-400,
    lines=[
        '{{"time":"{iso}","level":"info","msg":"order processed","order_id":{id},"duration_ms":{ms}}}',
        '{{"time":"{iso}","level":"info","msg":"received batch","messages":{n},"queue":"{queue_url}"}}',
        '{{"time":"{iso}","level":"info","msg":"order processed","order_id":{id},"duration_ms":{ms}}}',
        '{{"time":"{iso}","level":"warn","msg":"payment provider slow","provider":"stripe","duration_ms":{slow_ms}}}',
        '{{"time":"{iso}","level":"info","msg":"order processed","order_id":{id},"duration_ms":{ms}}}',
        '{{"time":"{iso}","level":"error","msg":"order rejected: address validation failed","order_id":{id}}}',
    ],
)
LAMBDA = LogEffect(
    resource="lambda_function:resizer",
    per_minute=6,
    start=-400,
    lines=[
        "START RequestId: {rid} Version: $LATEST",
        "[INFO]\t{iso}\t{rid}\tresized image {id}.jpg to 3 variants",
        "END RequestId: {rid}",
        "REPORT RequestId: {rid}\tDuration: {ms}.31 ms\tBilled Duration: {ms} ms\tMemory Size: 1024 MB\tMax Memory Used: 211 MB",
    ],
)
DATABASE = LogEffect(
    resource="rds_instance:orders",
    per_minute=2,
    start=-400,
    lines=[
        "{ts} UTC:{ip}(5{n}112):app@orders:[{pid}]:LOG:  connection authorized: user=app database=orders SSL enabled",
        "{ts} UTC::@:[{pid}]:LOG:  checkpoint starting: time",
        "{ts} UTC::@:[{pid}]:LOG:  checkpoint complete: wrote {id} buffers (0.{n}%); 0 WAL file(s) added",
        "{ts} UTC:{ip}(5{n}113):app@orders:[{pid}]:LOG:  disconnection: session time: 0:0{n}:12.221 user=app database=orders",
        "{ts} UTC:{ip}(5{n}114):app@orders:[{pid}]:LOG:  duration: 1{ms}.412 ms  statement: SELECT * FROM order_items WHERE order_id = ${n}",
        '{ts} UTC::@:[{pid}]:LOG:  automatic vacuum of table "orders.public.sessions": index scans: 1',
    ],
)

BASELINE = (WEB, WORKER, LAMBDA, DATABASE)
