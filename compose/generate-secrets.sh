#!/bin/sh
# Writes the compose stack's secrets, once, into compose/secrets/ (git-ignored) or the directory
# given as the first argument. Existing files are kept, so a rerun changes nothing; delete a file to
# rotate it. The services read them through their *_FILE variables (compose `secrets:`).
set -eu

dir=${1:-"$(dirname "$0")/secrets"}
umask 077
mkdir -p "$dir"
# Only this user may list or open the directory on the host.
chmod 700 "$dir"

random_bytes() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }

write() {
  name=$1
  value=$2
  if [ -e "$dir/$name" ]; then
    echo "kept    $dir/$name"
    return
  fi
  printf '%s\n' "$value" > "$dir/$name"
  # Readable inside the containers, whose users (node, k6) are not this host user; the 0700
  # directory above keeps other host users out.
  chmod 644 "$dir/$name"
  echo "created $dir/$name"
}

# Standard Webhooks: whsec_ and base64 of 32 random bytes; shared by the publisher and the gateway.
write webhook-signing-secret "whsec_$(random_bytes)"
# Bearer tokens: 32 random bytes, base64url without padding (43 characters).
write publisher-api-token "$(random_bytes | tr '+/' '-_' | tr -d '=')"
# Only docker-compose.drill.yml uses it: the gateway fault switch and the publisher dead-letter API.
write admin-token "$(random_bytes | tr '+/' '-_' | tr -d '=')"
