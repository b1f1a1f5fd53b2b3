#!/bin/sh
# Print the path of a Python interpreter >= 3.12, or explain what to install.
# With --oldest: the oldest such interpreter found (for testing the lower bounds).
#
# Order: a working python3.14/python3.13/python3.12/python3 on PATH (pyenv shims
# that fail because pyenv selects another version are skipped), then the
# versions pyenv has installed, newest first, then common system locations.
ok() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
        >/dev/null 2>&1
}

if [ "${1:-}" = "--oldest" ]; then
    best="" best_version=""
    pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
    for path in $(command -v python3.12 python3.13 python3.14 python3 2>/dev/null) \
                "$pyenv_root"/versions/3.*/bin/python3 /usr/local/bin/python3.1[2-9] \
                /usr/bin/python3.1[2-9]; do
        [ -x "$path" ] && ok "$path" || continue
        version=$("$path" -c 'import sys; print("%d.%03d.%03d" % sys.version_info[:3])')
        if [ -z "$best" ] || [ "$version" \< "$best_version" ]; then
            best=$path best_version=$version
        fi
    done
    if [ -n "$best" ]; then echo "$best"; exit 0; fi
fi

for candidate in python3.14 python3.13 python3.12 python3; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if ok "$path"; then echo "$path"; exit 0; fi
done

pyenv_root=${PYENV_ROOT:-}
if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then
    pyenv_root=$(pyenv root 2>/dev/null)
fi
[ -n "$pyenv_root" ] || pyenv_root="$HOME/.pyenv"
if [ -d "$pyenv_root/versions" ]; then
    for dir in $(ls -1 "$pyenv_root/versions" | grep -E '^3\.[0-9]+(\.[0-9]+)?$' | sort -t. -k1,1nr -k2,2nr -k3,3nr); do
        path="$pyenv_root/versions/$dir/bin/python3"
        if [ -x "$path" ] && ok "$path"; then echo "$path"; exit 0; fi
    done
fi

for path in /usr/local/bin/python3.14 /usr/local/bin/python3.13 /usr/local/bin/python3.12 \
            /usr/bin/python3.14 /usr/bin/python3.13 /usr/bin/python3.12; do
    if [ -x "$path" ] && ok "$path"; then echo "$path"; exit 0; fi
done

echo "adaptive_pilot needs Python >= 3.12 with venv, and none was found." >&2
echo "Install one, e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12'," >&2
echo "or run make with PYTHON=/path/to/python3.12." >&2
exit 1
