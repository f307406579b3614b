#!/usr/bin/env python3
"""Regenerate the sample Lambda events in this folder.

The ingest events carry the text-message fixture, base64-encoded as API
Gateway sends binary-safe bodies, signed with the app secret below (the
Lambda smoke test seeds the same secret on moto)."""
import base64, hashlib, hmac, json, pathlib

HERE = pathlib.Path(__file__).resolve().parent
APP_SECRET = b"events-app-secret-0123456789"
VERIFY_TOKEN = "events-verify-token-0123456789"
BODY = (HERE.parent / "tests/fixtures/messenger/text-message.json").read_bytes()


def http_event(method, query, body=None, headers=None, b64=False):
    headers = {"host": "abc123.execute-api.eu-west-1.amazonaws.com", **(headers or {})}
    ev = {
        "version": "2.0",
        "routeKey": f"{method} /webhooks/facebook/{{account_id}}",
        "rawPath": "/webhooks/facebook/acme",
        "rawQueryString": query,
        "headers": headers,
        "pathParameters": {"account_id": "acme"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "domainPrefix": "abc123",
            "http": {"method": method, "path": "/webhooks/facebook/acme", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "facebookexternalua"},
            "requestId": f"req-{method.lower()}-1", "routeKey": f"{method} /webhooks/facebook/{{account_id}}",
            "stage": "$default", "time": "24/Nov/2025:16:00:00 +0000", "timeEpoch": 1764000000000,
        },
        "isBase64Encoded": b64,
    }
    if body is not None:
        ev["body"] = base64.b64encode(body).decode() if b64 else body.decode()
    return ev


def write(name, ev):
    (HERE / name).write_text(json.dumps(ev, indent=2) + "\n")


def sqs_record(message_id, receipt, body, attributes, queue):
    """One record of an SQS event from `queue` (a FIFO queue's name)."""
    return {
        "messageId": message_id, "receiptHandle": receipt, "body": body, "attributes": attributes,
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:eu-west-1:123456789012:{queue}", "awsRegion": "eu-west-1",
    }


sig = "sha256=" + hmac.new(APP_SECRET, BODY, hashlib.sha256).hexdigest()
write("apigw-verify.json", http_event(
    "GET", f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"))
write("apigw-ingest.json", http_event(
    "POST", "", BODY, {"content-type": "application/json", "x-hub-signature-256": sig}, b64=True))
write("apigw-ingest-bad-signature.json", http_event(
    "POST", "", BODY, {"content-type": "application/json", "x-hub-signature-256": "sha256=" + "0" * 64}, b64=True))


def function_url_event(method, query, body=None, headers=None):
    """The same request as Meta sends it to webhook-ingest's own URL (a
    Lambda function URL: route `$default`, no path parameters; a JSON
    body arrives as text)."""
    host = "r4nd0m1d.lambda-url.eu-west-1.on.aws"
    ev = {
        "version": "2.0", "routeKey": "$default", "rawPath": "/webhooks/facebook/acme",
        "rawQueryString": query, "headers": {"host": host, **(headers or {})},
        "requestContext": {
            "accountId": "anonymous", "apiId": "r4nd0m1d", "domainName": host, "domainPrefix": "r4nd0m1d",
            "http": {"method": method, "path": "/webhooks/facebook/acme", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "facebookexternalua"},
            "requestId": f"url-{method.lower()}-1", "routeKey": "$default", "stage": "$default",
            "time": "24/Nov/2025:16:00:00 +0000", "timeEpoch": 1764000000000,
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        ev["body"] = body.decode()
    return ev


# Another message (a customer of their own), so the FIFO queue's
# deduplication does not swallow it beside apigw-ingest.json's.
URL_BODY = (HERE.parent / "tests/fixtures/messenger/unicode.json").read_bytes()
write("url-verify.json", function_url_event(
    "GET", f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=2026120301"))
write("url-ingest.json", function_url_event(
    "POST", "", URL_BODY, {"content-type": "application/json",
                           "x-hub-signature-256": "sha256=" + hmac.new(APP_SECRET, URL_BODY, hashlib.sha256).hexdigest()}))

raw = json.loads(BODY)["entry"][0]["messaging"][0]
inbound = {
    "account_id": "acme", "page_id": "104857600000001", "psid": "7700000000000001",
    "channel": "messaging", "kind": "message", "timestamp": raw["timestamp"],
    "key": "message:" + raw["message"]["mid"], "mid": raw["message"]["mid"], "text": raw["message"]["text"],
    "received_at": 1764000000200, "raw": raw,
}
write("sqs-router.json", {"Records": [
    sqs_record("0b4e4c5e-0000-4000-8000-000000000001", "AQEB-example",
               json.dumps(inbound, separators=(",", ":")),
               {"ApproximateReceiveCount": "1", "MessageGroupId": "104857600000001:7700000000000001",
                "MessageDeduplicationId": "example", "SentTimestamp": "1764000000200"},
               "switchboard-inbound.fifo"),
    sqs_record("0b4e4c5e-0000-4000-8000-000000000002", "AQEB-example-2",
               "this is not an inbound event",
               {"ApproximateReceiveCount": "1", "MessageGroupId": "104857600000001:7700000000000009"},
               "switchboard-inbound.fifo"),
]})


def admin_event(path, groups):
    ev = http_event("GET", "")
    ev["routeKey"] = "ANY /admin/v1/{proxy+}"
    ev["rawPath"] = path
    ev["pathParameters"] = {"proxy": path[len("/admin/v1/"):]}
    ev["requestContext"]["http"]["path"] = path
    ev["requestContext"]["http"]["userAgent"] = "curl/8.5.0"
    ev["requestContext"]["routeKey"] = "ANY /admin/v1/{proxy+}"
    ev["requestContext"]["authorizer"] = {"jwt": {
        "claims": {"sub": "3f1c-admin-user", "cognito:groups": groups, "token_use": "id"},
        "scopes": None,
    }}
    ev["headers"]["authorization"] = "Bearer eyJ...verified-by-api-gateway"
    return ev


write("apigw-admin-accounts.json", admin_event("/admin/v1/accounts", "[admin]"))
write("apigw-admin-forbidden.json", admin_event("/admin/v1/accounts", "[agent]"))

def agent_event(method, path, username, groups):
    ev = admin_event(path, groups)
    ev["routeKey"] = "ANY /agent/v1/{proxy+}"
    ev["pathParameters"] = {"proxy": path[len("/agent/v1/"):]}
    ev["requestContext"]["routeKey"] = "ANY /agent/v1/{proxy+}"
    ev["requestContext"]["http"]["method"] = method
    claims = ev["requestContext"]["authorizer"]["jwt"]["claims"]
    claims.update({"sub": "8d2e-" + username, "username": username, "token_use": "access"})
    return ev


write("apigw-agent-presence.json", agent_event("GET", "/agent/v1/presence", "anna", "[agent]"))
write("apigw-agent-forbidden.json", agent_event("GET", "/agent/v1/presence", "anna", "[admin]"))

# The outbound record the smoke test seeds (an agent's reply) and a message
# that is not one (dropped, not retried).
write("sqs-sender.json", {"Records": [
    sqs_record("5c1d2a7e-0000-4000-8000-000000000001", "AQEB-outbound",
               json.dumps({"outbound_id": "ob_smoke_reply_1"}, separators=(",", ":")),
               {"ApproximateReceiveCount": "1", "MessageGroupId": "cv_smoke",
                "MessageDeduplicationId": "ob_smoke_reply_1", "SentTimestamp": "1764000000300"},
               "switchboard-outbound.fifo"),
    sqs_record("5c1d2a7e-0000-4000-8000-000000000002", "AQEB-outbound-2",
               "this is not an outbound message",
               {"ApproximateReceiveCount": "1", "MessageGroupId": "cv_smoke_2"},
               "switchboard-outbound.fifo"),
]})

write("eventbridge-schedule.json", {
    "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
    "source": "aws.events", "account": "123456789012", "time": "2025-11-24T16:00:00Z", "region": "eu-west-1",
    "resources": ["arn:aws:events:eu-west-1:123456789012:rule/switchboard-scheduler"], "detail": {},
})


# The WebSocket API (issue 14): the $connect authorizer's REQUEST event (the
# smoke test signs its own token and writes a copy with it) and the
# $connect/$disconnect route events with the authorizer's context.
def ws_context(route, event_type):
    return {
        "routeKey": route, "eventType": event_type, "extendedRequestId": "Abc=",
        "requestTime": "24/Nov/2025:16:00:00 +0000", "messageDirection": "IN", "stage": "live",
        "connectedAt": 1764000000000, "requestTimeEpoch": 1764000000000,
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
        "requestId": "Abc=", "domainName": "ws123.execute-api.eu-west-1.amazonaws.com",
        "connectionId": "L0SM9cOFvHcCIhw=", "apiId": "ws123",
    }


write("ws-authorizer-no-token.json", {
    "type": "REQUEST",
    "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:ws123/live/$connect",
    "headers": {"Host": "ws123.execute-api.eu-west-1.amazonaws.com", "Sec-WebSocket-Version": "13"},
    "queryStringParameters": {"after": "0000000001764000000000-"},
    "stageVariables": {},
    "requestContext": ws_context("$connect", "CONNECT"),
})
for route, kind, name in [("$connect", "CONNECT", "ws-connect.json"),
                          ("$disconnect", "DISCONNECT", "ws-disconnect.json")]:
    ctx = ws_context(route, kind)
    ctx["authorizer"] = {"agent_id": "anna", "supervisor": False, "principalId": "anna",
                         "integrationLatency": 212}
    write(name, {"headers": {"Host": "ws123.execute-api.eu-west-1.amazonaws.com"},
                 "requestContext": ctx, "isBase64Encoded": False})
