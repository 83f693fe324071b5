"""What Velocab's logs say on an ordinary evening: requests, routine warnings, known harmless errors."""
# ruff: noqa: E501 - log lines are kept whole, as the services print them

from __future__ import annotations

from heldout.model import LogEffect

# rider-gateway: Node.js, pino JSON (level 30 info, 40 warn, 50 error).
GATEWAY = LogEffect(
    resource="ecs_service:gateway",
    per_minute=8,
    lines=[
        '{"level":30,"time":{epoch_ms},"pid":1,"hostname":"ip-{ip}","reqId":"{rid}","req":{"method":"POST","url":"/v1/rides"},"res":{"statusCode":201},"responseTime":{ms},"msg":"request completed"}',
        '{"level":30,"time":{epoch_ms},"pid":1,"hostname":"ip-{ip}","reqId":"{rid}","req":{"method":"GET","url":"/v1/rides/{trip}"},"res":{"statusCode":200},"responseTime":{ms},"msg":"request completed"}',
        '{"level":30,"time":{epoch_ms},"pid":1,"hostname":"ip-{ip}","reqId":"{rid}","req":{"method":"GET","url":"/health"},"res":{"statusCode":200},"responseTime":1,"msg":"request completed"}',
        '{"level":40,"time":{epoch_ms},"pid":1,"hostname":"ip-{ip}","reqId":"{rid}","rider":"{rider}","msg":"promo code rejected: expired"}',
        '{"level":30,"time":{epoch_ms},"pid":1,"hostname":"ip-{ip}","reqId":"{rid}","req":{"method":"POST","url":"/v1/rides/{trip}/rating"},"res":{"statusCode":204},"responseTime":{ms},"msg":"request completed"}',
        '{"level":50,"time":{epoch_ms},"pid":1,"hostname":"ip-{ip}","reqId":"{rid}","err":{"type":"ValidationError","message":"\\"pickup.lat\\" must be a number","stack":"ValidationError: \\"pickup.lat\\" must be a number\\n    at Object.validate (/app/node_modules/joi/lib/base.js:417:19)"},"msg":"invalid ride request"}',
        '{"level":30,"time":{epoch_ms},"pid":1,"hostname":"ip-{ip}","pool":"mysql","active":{n},"idle":{n},"msg":"pool stats"}',
    ],
)
# fare-quoter: Spring Boot, logstash-logback JSON.
QUOTER = LogEffect(
    resource="ecs_service:quoter",
    per_minute=6,
    lines=[
        '{"@timestamp":"{java_ts}","@version":"1","message":"Quote issued trip={trip} amount=14.20 currency=GBP surge=1.0","logger_name":"com.velocab.fare.QuoteController","thread_name":"http-nio-8080-exec-{n}","level":"INFO","level_value":20000,"traceId":"{trace}"}',
        '{"@timestamp":"{java_ts}","@version":"1","message":"Completed 200 OK in {ms} ms","logger_name":"org.springframework.web.servlet.DispatcherServlet","thread_name":"http-nio-8080-exec-{n}","level":"INFO","level_value":20000}',
        '{"@timestamp":"{java_ts}","@version":"1","message":"HikariPool-1 - Pool stats (total=20, active={n}, idle=12, waiting=0)","logger_name":"com.zaxxer.hikari.pool.HikariPool","thread_name":"HikariPool-1 housekeeper","level":"DEBUG","level_value":10000}',
        '{"@timestamp":"{java_ts}","@version":"1","message":"Surge multiplier cache refreshed zones=212","logger_name":"com.velocab.fare.surge.SurgeCache","thread_name":"scheduling-1","level":"INFO","level_value":20000}',
        '{"@timestamp":"{java_ts}","@version":"1","message":"Tariff lookup fell back to default zone for postcode XX1","logger_name":"com.velocab.fare.tariff.TariffService","thread_name":"http-nio-8080-exec-{n}","level":"WARN","level_value":30000}',
    ],
)
# trip-matcher: Go, logfmt (go-kit style).
MATCHER = LogEffect(
    resource="ecs_service:matcher",
    per_minute=7,
    lines=[
        'ts={iso6} level=info caller=match.go:214 msg="trip matched" trip={trip} driver={driver} eta_s={n}4 candidates={n}',
        "ts={iso6} level=info caller=http.go:88 method=POST path=/v1/trips status=201 took={ms}ms",
        'ts={iso6} level=info caller=route.go:57 msg="route computed" backend=osrm took={ms}ms',
        'ts={iso6} level=warn caller=match.go:301 msg="no driver within radius, widening search" trip={trip} radius_m=2500',
        "ts={iso6} level=info caller=http.go:88 method=GET path=/v1/trips/{trip} status=200 took={ms}ms",
        'ts={iso6} level=debug caller=db.go:41 msg="sql pool" open={n} in_use={n} idle=8 wait_count=0',
    ],
)
# driver-locator: gunicorn + structlog (key=value console renderer) and an nginx sidecar.
LOCATOR = LogEffect(
    resource="ecs_service:locator",
    per_minute=6,
    lines=[
        '{ip} - - [{clf_ts}] "POST /v1/positions HTTP/1.1" 204 0 "-" "velocab-driver/5.2.0 (Android 14)" {ms}ms',
        "{iso} [info     ] position batch stored            [locator.ingest] drivers={n}2 batch_ms={ms}",
        '{ip} - - [{clf_ts}] "GET /v1/nearby?lat={lat}&lon={lon}&r=2500 HTTP/1.1" 200 {bytes} "-" "Go-http-client/1.1" {ms}ms',
        "{iso} [info     ] tile fetched                     [locator.tiles] z=15 cache=hit",
        "{iso} [warning  ] stale position dropped           [locator.ingest] driver={driver} age_s=91",
    ],
)
MAILER = LogEffect(
    resource="lambda_function:mailer",
    per_minute=5,
    lines=[
        "START RequestId: {rid} Version: $LATEST",
        '{"level":"INFO","location":"send_receipt:48","message":"receipt sent","timestamp":"{iso}","service":"receipt-mailer","trip":"{trip}","xray_trace_id":"1-{span}-{trace}"}',
        "END RequestId: {rid}",
        "REPORT RequestId: {rid}\tDuration: {ms}4.12 ms\tBilled Duration: {ms}5 ms\tMemory Size: 512 MB\tMax Memory Used: 131 MB",
    ],
)
BATCHER = LogEffect(
    resource="lambda_function:batcher",
    per_minute=3,
    lines=[
        "START RequestId: {rid} Version: $LATEST",
        "{iso}\t{rid}\tINFO\tbatch settled { payouts: {n}, ledgerTxn: 'tx_{span}', ms: 1{ms}2 }",
        "END RequestId: {rid}",
        "REPORT RequestId: {rid}\tDuration: 17{ms}.55 ms\tBilled Duration: 17{ms} ms\tMemory Size: 1024 MB\tMax Memory Used: 212 MB",
    ],
)
PRICER = LogEffect(
    resource="lambda_function:pricer",
    per_minute=6,
    lines=[
        "START RequestId: {rid} Version: $LATEST",
        "[INFO]\t{iso}\t{rid}\tsurge zone=LDN-{n}{n} multiplier=1.{n} model=v2 cached=true",
        "END RequestId: {rid}",
        "REPORT RequestId: {rid}\tDuration: {ms}.08 ms\tBilled Duration: {ms} ms\tMemory Size: 256 MB\tMax Memory Used: 74 MB",
    ],
)
PROMO = LogEffect(
    resource="lambda_function:promo",
    per_minute=3,
    lines=[
        "START RequestId: {rid} Version: $LATEST",
        "[INFO]\t{iso}\t{rid}\tredeemed promo FIRSTRIDE rider={rider}",
        "[WARNING]\t{iso}\t{rid}\tpromo WINTER24 already used by rider={rider}",
        "END RequestId: {rid}",
        "REPORT RequestId: {rid}\tDuration: {ms}.91 ms\tBilled Duration: {ms} ms\tMemory Size: 256 MB\tMax Memory Used: 61 MB",
    ],
)
MYSQL_ERROR = LogEffect(
    resource="rds_instance:mysql",
    group="error",
    per_minute=0.5,
    lines=[
        "{iso6} {conn} [Note] [MY-010914] [Server] Aborted connection {conn} to db: 'dispatch' user: 'dispatch' host: '{ip}' (Got an error reading communication packets).",
        "{iso6} 0 [Note] [MY-013360] [Server] Plugin sha256_password reported: ''sha256_password' is deprecated and will be removed in a future release. Please use caching_sha2_password instead'",
    ],
)
MYSQL_SLOW = LogEffect(
    resource="rds_instance:mysql",
    group="slowquery",
    per_minute=0.4,
    lines=[
        "# Time: {iso6}\n# User@Host: dispatch[dispatch] @  [{ip}]  Id: {conn}\n# Query_time: 2.{n}81  Lock_time: 0.000012 Rows_sent: 1  Rows_examined: 48{n}211\nSET timestamp={epoch};\nSELECT COUNT(*) FROM trips WHERE created_at > NOW() - INTERVAL 1 DAY;",
    ],
)
PG = LogEffect(
    resource="rds_instance:pg",
    per_minute=1.5,
    lines=[
        "{ts} UTC:{ip}(4{n}118):ledger_app@ledger:[{pid}]:LOG:  connection authorized: user=ledger_app database=ledger application_name=PostgreSQL JDBC Driver",
        "{ts} UTC::@:[{pid}]:LOG:  checkpoint starting: time",
        "{ts} UTC::@:[{pid}]:LOG:  checkpoint complete: wrote {conn} buffers (1.{n}%); 0 WAL file(s) added, 0 removed, {n} recycled",
        '{ts} UTC::@:[{pid}]:LOG:  automatic analyze of table "ledger.public.payout_lines"',
        "{ts} UTC:{ip}(4{n}119):ledger_app@ledger:[{pid}]:LOG:  disconnection: session time: 0:1{n}:03.118 user=ledger_app database=ledger host={ip} port=4{n}119",
    ],
)

BASELINE: tuple[LogEffect, ...] = (
    GATEWAY,
    QUOTER,
    MATCHER,
    LOCATOR,
    MAILER,
    BATCHER,
    PRICER,
    PROMO,
    MYSQL_ERROR,
    MYSQL_SLOW,
    PG,
)
