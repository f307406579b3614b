#!/usr/bin/env bash
# Deploy Switchboard into your AWS account: build the functions for arm64
# and the agent console, deploy infra/template.yaml, upload the console with
# its config.json, print the URLs and what to do next. Run
# `infra/deploy.sh --help`.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: infra/deploy.sh [options]

Builds the Lambda functions (cargo lambda build --release --arm64) and the
agent console (npm ci && npm run build in console/), and deploys
infra/template.yaml as a CloudFormation stack, with the SAM CLI
(`sam deploy`) when it is installed, else with the AWS CLI
(`aws cloudformation package` + `aws cloudformation deploy`, which needs
--s3-bucket for the code). Then uploads console/dist to the stack's console
bucket (hashed assets cached for a year, index.html and config.json never),
writes the console's config.json from the stack's outputs (API URL,
WebSocket URL, the Cognito hosted UI's domain and the console's client id),
invalidates the CloudFront distribution, and prints the console URL, the
API URL, the webhook callback URL base and the next steps: the first
administrator, the first agent, and the Meta app's webhook settings.

Options:
  --stack NAME        stack name (default: $SWITCHBOARD_STACK or "switchboard")
  --region REGION     AWS region (default: $AWS_REGION, else the CLI's configuration)
  --param KEY=VALUE   a template parameter, repeatable:
                        TableDeletionProtection (true), LogRetentionDays (30),
                        AlarmTopicArn (none), JwtIssuer and JwtAudience (none:
                        use the Cognito user pool the stack creates),
                        DeflateRoutingRecords (dictionary for a new stack;
                        an existing one keeps its value, false until set:
                        README says when each form may be chosen)
  --s3-bucket BUCKET  bucket for the code packages (AWS CLI path; SAM makes its own)
  --no-build          deploy what target/lambda/*/bootstrap and console/dist
                      hold now (build neither)
  --dry-run           print the commands instead of running them
  -h, --help          this text

Needs: cargo-lambda (make test-tools installs it in .venv), zig or the
aarch64 cross linker cargo-lambda uses, Node.js and npm (the console), and
the AWS CLI (and optionally the SAM CLI) with credentials for the target
account.

Example:
  infra/deploy.sh --stack switchboard-prod --region eu-west-1 \
    --param AlarmTopicArn=arn:aws:sns:eu-west-1:123456789012:oncall
USAGE
}

STACK="${SWITCHBOARD_STACK:-switchboard}"
REGION="${AWS_REGION:-}"
PARAMS=()
BUCKET=""
BUILD=1
DRY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) STACK="${2:?--stack needs a name}"; shift 2 ;;
    --region) REGION="${2:?--region needs a region}"; shift 2 ;;
    --param) PARAMS+=("${2:?--param needs KEY=VALUE}"); shift 2 ;;
    --s3-bucket) BUCKET="${2:?--s3-bucket needs a bucket}"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "deploy.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

for p in "${PARAMS[@]+"${PARAMS[@]}"}"; do
  case "$p" in
    *=*) ;;
    *) echo "deploy.sh: --param wants KEY=VALUE, got $p" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
FUNCTIONS=(webhook-verify webhook-ingest router admin-api scheduler sender agent-api ws-authorizer ws-connections)
# shellcheck source=infra/common.sh
. "$HERE/common.sh"

cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"

# The console is built before anything is deployed, so a broken build
# leaves the running stack alone.
if [ "$BUILD" = 1 ]; then
  if [ ! -f console/package.json ]; then
    echo "deploy.sh: console/package.json is missing: this checkout has no agent console to build (deploy with --no-build only if console/dist is already built)" >&2
    exit 1
  fi
  (cd console && run npm ci && run npm run build)
fi
if [ "$DRY" = 0 ] && [ ! -f console/dist/index.html ]; then
  echo "deploy.sh: console/dist/index.html is missing; build the console (run without --no-build)" >&2
  exit 1
fi

if [ "$BUILD" = 1 ]; then
  PKGS=()
  for f in "${FUNCTIONS[@]}"; do PKGS+=(-p "$f"); done
  run cargo lambda build --release --arm64 "${PKGS[@]}"
fi
if [ "$DRY" = 0 ]; then
  for f in "${FUNCTIONS[@]}"; do
    [ -f "target/lambda/$f/bootstrap" ] || { echo "deploy.sh: target/lambda/$f/bootstrap is missing; run without --no-build" >&2; exit 1; }
  done
fi

# Whether the stack is yet to be created: absent, or only reviewed (a
# change set made, none run). An error other than its absence stops the
# deploy: nothing should be guessed.
stack_missing() {
  local out
  if out=$(aws cloudformation describe-stacks --stack-name "$STACK" \
    "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" --query 'Stacks[0].StackStatus' --output text 2>&1); then
    [ "$out" = REVIEW_IN_PROGRESS ]
    return
  fi
  case "$out" in
    *"does not exist"*) return 0 ;;
  esac
  echo "deploy.sh: cannot tell whether stack $STACK exists: $out" >&2
  exit 1
}

# A new stack has no older code to read its table, so it stores routing
# records in their smallest form; an existing one keeps the form it has
# (README: configuration) unless --param names one.
ROUTING_FORM_GIVEN=0
for p in "${PARAMS[@]+"${PARAMS[@]}"}"; do
  case "$p" in DeflateRoutingRecords=*) ROUTING_FORM_GIVEN=1 ;; esac
done
if [ "$ROUTING_FORM_GIVEN" = 0 ]; then
  if [ "$DRY" = 1 ]; then
    echo "(dry run: a new stack would get DeflateRoutingRecords=dictionary; an existing one keeps its value)"
  elif stack_missing; then
    echo "deploy.sh: $STACK is a new stack: its routing records are stored deflated with the dictionary (DeflateRoutingRecords=dictionary)"
    PARAMS+=(DeflateRoutingRecords=dictionary)
  fi
fi

if command -v sam >/dev/null 2>&1; then
  OVERRIDES=()
  if [ "${#PARAMS[@]}" -gt 0 ]; then OVERRIDES=(--parameter-overrides "${PARAMS[@]}"); fi
  run sam deploy --template-file infra/template.yaml --stack-name "$STACK" \
    "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" --resolve-s3 \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
    "${OVERRIDES[@]+"${OVERRIDES[@]}"}"
else
  if [ -z "$BUCKET" ]; then
    echo "deploy.sh: without the SAM CLI, give --s3-bucket for the code packages" >&2
    exit 2
  fi
  OVERRIDES=()
  if [ "${#PARAMS[@]}" -gt 0 ]; then OVERRIDES=(--parameter-overrides "${PARAMS[@]}"); fi
  run aws cloudformation package --template-file infra/template.yaml \
    --s3-bucket "$BUCKET" --output-template-file target/packaged.yaml \
    "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}"
  run aws cloudformation deploy --template-file target/packaged.yaml --stack-name "$STACK" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
    "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" "${OVERRIDES[@]+"${OVERRIDES[@]}"}"
fi

output() {
  aws cloudformation describe-stacks --stack-name "$STACK" "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

# A stack output; in a dry run, its name in angle brackets.
value() {
  if [ "$DRY" = 1 ]; then echo "<$1>"; else output "$1"; fi
}

# A JSON string (the outputs are URLs and ids; quotes and backslashes escaped).
json_str() {
  local v="${1//\\/\\\\}"
  printf '"%s"' "${v//\"/\\\"}"
}

API="$(value ApiUrl)"
WS="$(value WebSocketUrl)"
CONSOLE="$(value ConsoleUrl)"
CONSOLE_BUCKET="$(value ConsoleBucketName)"
DISTRIBUTION="$(value ConsoleDistributionId)"
AUTH_DOMAIN="$(value AuthDomain)"
CONSOLE_CLIENT="$(value ConsoleClientId)"
if [ -z "$AUTH_DOMAIN" ] || [ "$AUTH_DOMAIN" = "None" ]; then
  echo "deploy.sh: the stack has no Cognito user pool (JwtIssuer is set): the console signs in through the pool's hosted UI only, so it is not uploaded" >&2
  exit 1
fi

# The console: hashed assets first (cached for a year; older ones stay for
# pages still open), then the other files, then index.html and config.json
# (never cached), so no index.html names an asset not yet there.
S3="s3://$CONSOLE_BUCKET"
run aws s3 sync console/dist/assets "$S3/assets" "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" \
  --cache-control "public, max-age=31536000, immutable"
run aws s3 sync console/dist "$S3" "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" --delete \
  --exclude "assets/*" --exclude index.html --exclude config.json --cache-control "no-cache"
run aws s3 cp console/dist/index.html "$S3/index.html" "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" \
  --cache-control "no-cache" --content-type "text/html; charset=utf-8"
CONFIG="{\"api_url\":$(json_str "$API"),\"ws_url\":$(json_str "$WS"),\"auth\":{\"kind\":\"cognito\",\"domain\":$(json_str "$AUTH_DOMAIN"),\"client_id\":$(json_str "$CONSOLE_CLIENT"),\"redirect_uri\":$(json_str "$CONSOLE")}}"
if [ "$DRY" = 1 ]; then
  echo "+ write target/console-config.json: $CONFIG"
else
  mkdir -p target
  printf '%s\n' "$CONFIG" > target/console-config.json
fi
run aws s3 cp target/console-config.json "$S3/config.json" "${REGION_ARGS[@]+"${REGION_ARGS[@]}"}" \
  --cache-control "no-cache" --content-type "application/json"
run aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION" --paths "/*"

if [ "$DRY" = 1 ]; then
  echo "(dry run: nothing was deployed)"
  exit 0
fi

CALLBACK="$(output CallbackUrlBase)"
POOL="$(output UserPoolId)"
CLIENT="$(output UserPoolClientId)"
cat <<NEXT

Switchboard is deployed (stack $STACK).
  Agent console:            $CONSOLE
  API:                      $API
  Agents' WebSocket:        $WS
  Webhook callback URL:     ${CALLBACK}<account id>
  Cognito user pool:        ${POOL:-"(your own issuer)"}   app client: ${CLIENT:-"-"}

Next:
  1. The first administrator (Cognito):
       aws cognito-idp admin-create-user --user-pool-id $POOL --username you --user-attributes Name=email,Value=you@example.com
       aws cognito-idp admin-add-user-to-group --user-pool-id $POOL --username you --group-name admin
     (agents: the same with their agent id as the user name and --group-name agent,
     or supervisor; they sign in at $CONSOLE through the hosted UI).
     For the API, sign in with the app client $CLIENT (SRP) and send the
     token as "Authorization: Bearer <token>".
  2. Connect your Facebook app; the answer has the callback URL and a verify token (shown once):
       curl -H "Authorization: Bearer \$TOKEN" -H "content-type: application/json" \\
         -d '{"id":"acme","name":"Acme","app_id":"<app id>","app_secret":"<app secret>"}' $API/admin/v1/accounts
  3. In the Meta app (Messenger > Settings > Webhooks): callback URL ${CALLBACK}acme,
     the verify token from step 2; subscribe the messages, messaging_postbacks,
     message_deliveries, message_reads, message_echoes and messaging_referrals fields.
  4. Connect each page with its page access token (Switchboard subscribes it and shows its state):
       curl -H "Authorization: Bearer \$TOKEN" -H "content-type: application/json" \\
         -d '{"page_id":"<page id>","name":"Support","access_token":"<page token>"}' $API/admin/v1/accounts/acme/pages
     Or put it all in a file and run: switchboard apply --url $API -f switchboard.yaml
NEXT
