#!/usr/bin/env bash
# Install the real servers the test suite starts on loopback: PostgreSQL (apt, for the store),
# and the MTAs: Postfix (apt), Exim 4 and
# OpenSMTPD (unpacked beside it, since Debian lets only one mail-transport-agent be installed),
# and Sendmail's binary (unpacked, optional); and Chromium for the web UI's browser tests.
# Idempotent; runs as root on a fresh Debian.
#
# Nothing here starts a system-wide daemon or listens on port 25: the tests start their own
# instances on 127.0.0.1 high ports, each delivering only to a loopback sink.
#
# Layout: unpacked packages live in $RELAYHUNT_MTA_ROOT (default /opt/relayhunt-mtas):
#   exim/usr/sbin/exim4, opensmtpd/usr/sbin/smtpd, sendmail/usr/libexec/sendmail/sendmail
set -euo pipefail

ROOT="${RELAYHUNT_MTA_ROOT:-/opt/relayhunt-mtas}"
export DEBIAN_FRONTEND=noninteractive
LIBS="libidn12 libidn2-0 libgnutls30 libgnutls-dane0 libnsl2 libpcre2-8-0 libdb5.3 libcrypt1
      libevent-2.1-7 libpam0g libssl3 zlib1g m4 libwrap0 liblockfile1"
# Tools the audit truth tests use beside the daemons: openssl (client certificates),
# Cyrus SASL's ANONYMOUS plugin (anonymous AUTH against Postfix), iproute2 (interface
# addresses inside a private network namespace, and the loopback-only namespace the documented
# command lines run in).
TOOLS="openssl libsasl2-modules iproute2"

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo -E bash "$0" "$@"
    fi
    log "must run as root (apt-get, useradd); run: sudo bash $0"
    exit 2
fi

# --- PostgreSQL for the store tests --------------------------------------------------------
# The tests start their own throwaway cluster on 127.0.0.1 (crates/store/tests/common/pg.rs);
# only the server programs are needed. policy-rc.d keeps the package from starting its own.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    log "installing postgresql"
    apt-get update -qq
    prc=/usr/sbin/policy-rc.d
    had_prc=0
    [ -e "$prc" ] && had_prc=1
    if [ "$had_prc" -eq 0 ]; then
        printf '#!/bin/sh\nexit 101\n' >"$prc"
        chmod 755 "$prc"
    fi
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    if [ "$had_prc" -eq 0 ]; then rm -f "$prc"; fi
fi
id postgres >/dev/null 2>&1 || { log "postgresql installed but no postgres user"; exit 1; }

# --- Chromium, for the web UI's browser tests (crates/web) --------------------------------
if ! command -v chromium >/dev/null 2>&1; then
    log "installing chromium"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

stamp="$ROOT/.installed-v3"
if [ -f "$stamp" ] && command -v postfix >/dev/null 2>&1 \
    && [ -x "$ROOT/exim/usr/sbin/exim4" ] && [ -x "$ROOT/opensmtpd/usr/sbin/smtpd" ] \
    && [ -x /usr/sbin/exim4 ]; then
    log "already installed in $ROOT"
    exit 0
fi

log "apt-get update"
apt-get update -qq

# --- Postfix, installed with apt, left unconfigured and stopped -------------------------
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
if ! dpkg -s postfix >/dev/null 2>&1; then
    log "installing postfix"
    # policy-rc.d keeps the maintainer scripts from starting the system instance.
    prc=/usr/sbin/policy-rc.d
    had_prc=0
    [ -e "$prc" ] && had_prc=1
    if [ "$had_prc" -eq 0 ]; then
        printf '#!/bin/sh\nexit 101\n' >"$prc"
        chmod 755 "$prc"
    fi
    apt-get install -y -qq --no-install-recommends postfix >/dev/null
    if [ "$had_prc" -eq 0 ]; then rm -f "$prc"; fi
fi
# Shared libraries the unpacked exim4-daemon-light and opensmtpd link against (libraries do
# not conflict with the installed MTA).
apt-get install -y -qq --no-install-recommends $LIBS $TOOLS >/dev/null
# Make sure no system instance runs (it would listen on :25).
if [ -d /etc/postfix ] && postfix status >/dev/null 2>&1; then
    log "stopping the system postfix instance"
    postfix stop >/dev/null 2>&1 || true
fi
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now postfix >/dev/null 2>&1 || true
fi

# --- Exim and OpenSMTPD (and Sendmail), unpacked -----------------------------------------
mkdir -p "$ROOT/debs"
# apt-get download drops privileges to _apt; let it write here.
chmod 755 "$ROOT"
chown _apt "$ROOT/debs" 2>/dev/null || chmod 777 "$ROOT/debs"
unpack() { # unpack DEST PKG...
    local dest="$1"
    shift
    mkdir -p "$ROOT/$dest"
    local pkg
    for pkg in "$@"; do
        if ! ls "$ROOT/debs/${pkg}"_*.deb >/dev/null 2>&1; then
            (cd "$ROOT/debs" && apt-get download -qq "$pkg" >/dev/null)
        fi
        dpkg -x "$(ls "$ROOT"/debs/"${pkg}"_*.deb | head -n1)" "$ROOT/$dest"
    done
}

log "unpacking exim4"
unpack exim exim4-daemon-light exim4-base exim4-config
# Exim re-execs itself as /usr/sbin/exim4 to deliver; no package owns that path here.
if [ ! -e /usr/sbin/exim4 ] || [ -L /usr/sbin/exim4 ]; then
    install -m 4755 -o root -g root "$ROOT/exim/usr/sbin/exim4" /usr/sbin/exim4
fi
getent group Debian-exim >/dev/null || groupadd -r Debian-exim
id Debian-exim >/dev/null 2>&1 || useradd -r -M -g Debian-exim -s /usr/sbin/nologin Debian-exim

log "unpacking opensmtpd"
unpack opensmtpd opensmtpd
id opensmtpd >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin opensmtpd
id opensmtpq >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin opensmtpq
mkdir -p /var/spool/smtpd /var/lib/opensmtpd/empty
chmod 711 /var/spool/smtpd

if [ "${RELAYHUNT_SKIP_SENDMAIL:-0}" != 1 ]; then
    log "unpacking sendmail (optional)"
    unpack sendmail sendmail-bin sendmail-base sendmail-cf 2>/dev/null \
        || log "sendmail not available; its tests will skip"
fi

# --- Verify every daemon can at least parse a config -------------------------------------
postconf -d mail_version >/dev/null
"$ROOT/exim/usr/sbin/exim4" -C /dev/null -bV >/dev/null 2>&1 || {
    "$ROOT/exim/usr/sbin/exim4" -bV || true
    log "exim4 does not run (missing library?)"
    exit 1
}
tmpconf="$(mktemp)"
printf 'listen on 127.0.0.1 port 2525\naction "out" relay host smtp://127.0.0.1:2526\nmatch from local for any action "out"\n' >"$tmpconf"
"$ROOT/opensmtpd/usr/sbin/smtpd" -n -f "$tmpconf" >/dev/null 2>&1 || {
    "$ROOT/opensmtpd/usr/sbin/smtpd" -n -f "$tmpconf" || true
    rm -f "$tmpconf"
    log "opensmtpd does not run (missing library?)"
    exit 1
}
rm -f "$tmpconf"
if [ -x "$ROOT/sendmail/usr/libexec/sendmail/sendmail" ]; then
    # (Not run here: sendmail sleeps a minute when the host name is unqualified.)
    if ldd "$ROOT/sendmail/usr/libexec/sendmail/sendmail" | grep -q 'not found'; then
        log "sendmail lacks a library; its tests will skip"
    fi
fi

touch "$stamp"
log "done: postfix $(postconf -dh mail_version), exim in $ROOT/exim, opensmtpd in $ROOT/opensmtpd"
