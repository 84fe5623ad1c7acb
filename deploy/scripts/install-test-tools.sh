#!/usr/bin/env bash
# Install the programs the deploy tests run for real, where they are missing and apt can get them:
#   nginx     tests/deploy/test_nginx.py (real nginx in front of real gateways)
#   promtool  tests/deploy/test_monitoring.py (Debian's prometheus package ships it)
#   compose   tests/deploy/test_compose.py checks docker-compose.yml with `docker-compose config` (no daemon needed)
#   alertmanager  tests/deploy/test_alertmanager.py: amtool checks the routes, a real Alertmanager delivers alerts
#   chromium  the console's browser tests (tests/browser/): Playwright drives Debian's Chromium, since Playwright's
#             own browser download cannot work on machines without a network
# Usage: deploy/scripts/install-test-tools.sh [nginx] [promtool] [compose] [alertmanager] [chromium]   (default: all)
# Elsewhere (no apt, not root, no network) it says so and exits 0: those tests then skip, saying why.
set -euo pipefail

tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=(nginx promtool compose alertmanager chromium)

missing=()
for tool in "${tools[@]}"; do
    case "$tool" in
        nginx) command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx) ;;
        promtool) command -v promtool >/dev/null || missing+=(prometheus) ;;
        compose) { docker compose version || command -v docker-compose; } >/dev/null 2>&1 || missing+=(docker-compose) ;;
        alertmanager) command -v amtool >/dev/null || missing+=(prometheus-alertmanager) ;;
        chromium) [[ -x /usr/bin/chromium ]] || missing+=(chromium) ;;
        *) echo "unknown tool: $tool (nginx, promtool, compose, alertmanager, chromium)" >&2; exit 2 ;;
    esac
done
[[ ${#missing[@]} -gt 0 ]] || exit 0

if ! command -v apt-get >/dev/null; then
    echo "install-test-tools: no apt-get here; install ${missing[*]} yourself or the tests that need them skip" >&2
    exit 0
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo=(sudo)
    else
        echo "install-test-tools: not root; install ${missing[*]} yourself or the tests that need them skip" >&2
        exit 0
    fi
fi
echo "install-test-tools: installing ${missing[*]} with apt" >&2
# RUNLEVEL=1: the packages' scripts must not start system services (an nginx on port 80, a prometheus).
if ! { "${sudo[@]}" apt-get update -qq \
        && "${sudo[@]}" env RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null; then
    echo "install-test-tools: apt could not install ${missing[*]}; the tests that need them skip" >&2
fi
exit 0
