#!/usr/bin/env bash
# Generate the example federation's PKI afresh under certs-example/pki/, with the same
# `cordon-hub ca` commands a Secretariat would run. DEMO KEYS ONLY: they are written to
# disk unencrypted next to this script; never use them for a real federation.
#
#   certs-example/generate-pki.sh            # (re)creates certs-example/pki/
#
# Then: cordon-hub run --config certs-example/hub.toml
#       cordon-node run --config certs-example/nodes/BE-NCP.toml   (one per node)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pki="$here/pki"
hub_bin="${CORDON_HUB_BIN:-}"
say() { echo "==> $*"; }
if [ -z "$hub_bin" ]; then
  say "building cordon-hub (release; the first build takes several minutes)"
  (cd "$here/.." && cargo build -q --release -p cordon-hub)
  hub_bin="$here/../target/release/cordon-hub"
fi

say "removing $pki"
rm -rf "$pki"
mkdir -p "$pki"
say "making the federation root CA (DEMO)"
"$hub_bin" ca init --dir "$pki/ca" --name "Cordon Example Federation Root (DEMO)" --org "Example Secretariat"
say "issuing the hub's certificate (localhost, 127.0.0.1)"
"$hub_bin" ca issue hub --dir "$pki/ca" --dns localhost --ip 127.0.0.1 --org "Example Secretariat" --out "$pki/hub"

issue() { # id role org [country]
  local id=$1 role=$2 org=$3 country=${4:-}
  say "issuing node certificate $id ($role)"
  "$hub_bin" ca issue node --dir "$pki/ca" --id "$id" --role "$role" --org "$org" \
    ${country:+--country "$country"} --out "$pki/nodes"
}
issue OCU     ocu    "WCO Operational Coordination Unit"
issue RILO-WE rilo   "RILO Western Europe"
issue RILO-AP rilo   "RILO Asia/Pacific"
issue BE-NCP  member "Belgian Customs"              BE
issue HU-NCP  member "Hungarian Customs"            HU
issue NL-NCP  member "Dutch Customs"                NL
issue US-NCP  member "U.S. Customs and Border Protection" US
issue XX-NCP  member "Non-participating Administration"  FR
# Who reads which channel, signed by the root: nodes seal channel messages only to
# readers this roster names. Sign it again whenever policy.toml's readers change.
say "signing the operation roster of policy.toml"
"$hub_bin" ca roster --dir "$pki/ca" --policy "$here/policy.toml" --out "$pki/roster.signed"
echo
echo "Example PKI written to $pki (demo keys, mode 0600)."
