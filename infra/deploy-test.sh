#!/usr/bin/env bash
# infra/deploy.sh against a fake AWS CLI, nothing built, with and without a
# (fake) SAM CLI: a new stack gets the smallest form of routing records,
# an existing one keeps its own, a form given with --param wins, and a
# stack whose state cannot be read stops the deploy. Run by `make test`.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/infra" "$WORK/console/dist" "$WORK/fakes" "$WORK/tools"
cp "$ROOT"/infra/deploy.sh "$ROOT"/infra/common.sh "$ROOT"/infra/template.yaml "$WORK/infra/"
echo '{}' > "$WORK/console/package.json"
echo '<!doctype html>' > "$WORK/console/dist/index.html"
for f in webhook-verify webhook-ingest router admin-api scheduler sender agent-api ws-authorizer ws-connections; do
  mkdir -p "$WORK/target/lambda/$f" && touch "$WORK/target/lambda/$f/bootstrap"
done
# Only the tools deploy.sh needs are on its PATH, so no real aws or sam
# is ever reached.
for t in bash dirname mkdir cat; do ln -s "$(command -v "$t")" "$WORK/tools/$t"; done
# The fake CLIs log their calls. The stack's state (the status query)
# answers by the stack's name; its outputs are always there.
cat > "$WORK/fakes/aws" <<'FAKE'
#!/usr/bin/env bash
echo "aws $*" >> "$AWS_LOG"
if [ "$2" = describe-stacks ] && [ "$6" = "Stacks[0].StackStatus" ]; then
  case "$4" in
    new) echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id new does not exist" >&2; exit 254 ;;
    reviewed) echo "REVIEW_IN_PROGRESS"; exit 0 ;;
    unknown) echo "Unable to locate credentials" >&2; exit 253 ;;
    *) echo "UPDATE_COMPLETE"; exit 0 ;;
  esac
fi
echo "output-value"
FAKE
cat > "$WORK/fakes/sam" <<'FAKE'
#!/usr/bin/env bash
echo "sam $*" >> "$AWS_LOG"
FAKE
chmod +x "$WORK/fakes/aws" "$WORK/fakes/sam"
mkdir -p "$WORK/with-sam" "$WORK/without-sam"
ln -s "$WORK/fakes/aws" "$WORK/with-sam/aws"
ln -s "$WORK/fakes/sam" "$WORK/with-sam/sam"
ln -s "$WORK/fakes/aws" "$WORK/without-sam/aws"

fail() { echo "deploy-test: $*" >&2; exit 1; }

# Deploy `stack` with the CLIs in `bin`; prints the parameter overrides the
# stack was deployed with ("none" without), and fails unless it deployed.
overrides() {
  local bin="$1" stack="$2"; shift 2
  export AWS_LOG="$WORK/calls-$stack.log"
  : > "$AWS_LOG"
  PATH="$WORK/$bin:$WORK/tools" "$WORK/infra/deploy.sh" --no-build --stack "$stack" --s3-bucket b "$@" \
    > "$WORK/out" 2>&1 || return 1
  local line
  line="$(grep -E '^(sam deploy|aws cloudformation deploy) ' "$AWS_LOG")" || fail "$stack: nothing deployed ($bin)"
  case "$bin:$line" in
    with-sam:"sam deploy"*|without-sam:"aws cloudformation deploy"*) ;;
    *) fail "$stack: deployed with the wrong CLI ($bin): $line" ;;
  esac
  case "$line" in
    *--parameter-overrides*) echo "${line#*--parameter-overrides }" ;;
    *) echo none ;;
  esac
}

for bin in without-sam with-sam; do
  [ "$(overrides $bin new)" = "DeflateRoutingRecords=dictionary" ] || fail "a new stack should get the dictionary ($bin)"
  [ "$(overrides $bin reviewed)" = "DeflateRoutingRecords=dictionary" ] ||
    fail "a stack only reviewed, never created, should get the dictionary ($bin)"
  [ "$(overrides $bin existing)" = none ] || fail "an existing stack should keep its form ($bin)"
  [ "$(overrides $bin new --param DeflateRoutingRecords=false)" = "DeflateRoutingRecords=false" ] ||
    fail "a form given with --param should win ($bin)"
  if overrides $bin unknown > /dev/null; then fail "an unknown stack state should stop the deploy ($bin)"; fi
  grep -q "cannot tell whether stack unknown exists" "$WORK/out" || fail "the stop should say why ($bin)"
done
echo "deploy-test: passed"
