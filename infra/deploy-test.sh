#!/usr/bin/env bash
# infra/deploy.sh against a fake AWS CLI (no SAM CLI, nothing built): a new
# stack gets the smallest form of routing records, an existing one keeps
# its own, a form given with --param wins, and a stack whose existence
# cannot be told stops the deploy. Run by `make test`.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/infra" "$WORK/console/dist" "$WORK/bin"
cp "$ROOT"/infra/deploy.sh "$ROOT"/infra/common.sh "$ROOT"/infra/template.yaml "$WORK/infra/"
echo '{}' > "$WORK/console/package.json"
echo '<!doctype html>' > "$WORK/console/dist/index.html"
for f in webhook-verify webhook-ingest router admin-api scheduler sender agent-api ws-authorizer ws-connections; do
  mkdir -p "$WORK/target/lambda/$f" && touch "$WORK/target/lambda/$f/bootstrap"
done
# The fake CLI logs its calls; describe-stacks answers by the stack's name.
cat > "$WORK/bin/aws" <<'FAKE'
#!/usr/bin/env bash
echo "aws $*" >> "$AWS_LOG"
if [ "$2" = describe-stacks ]; then
  case "$4" in
    new) echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id new does not exist" >&2; exit 254 ;;
    unknown) echo "Unable to locate credentials" >&2; exit 253 ;;
  esac
fi
echo "UPDATE_COMPLETE"
FAKE
chmod +x "$WORK/bin/aws"

# The parameter overrides deploy.sh gave `aws cloudformation deploy`.
overrides() {
  local stack="$1"; shift
  export AWS_LOG="$WORK/aws-$stack.log"
  : > "$AWS_LOG"
  PATH="$WORK/bin:/usr/bin:/bin" "$WORK/infra/deploy.sh" --no-build --stack "$stack" --s3-bucket b "$@" > "$WORK/out" 2>&1
  grep 'cloudformation deploy' "$AWS_LOG" | sed -n 's/.*--parameter-overrides //p'
}

fail() { echo "deploy-test: $*" >&2; exit 1; }

[ "$(overrides new)" = "DeflateRoutingRecords=dictionary" ] || fail "a new stack should get the dictionary"
[ -z "$(overrides existing)" ] || fail "an existing stack should keep its form"
[ "$(overrides new --param DeflateRoutingRecords=false)" = "DeflateRoutingRecords=false" ] ||
  fail "a form given with --param should win"
if overrides unknown > /dev/null; then fail "an unknown stack state should stop the deploy"; fi
grep -q "cannot tell whether stack unknown exists" "$WORK/out" || fail "the stop should say why"
echo "deploy-test: passed"
