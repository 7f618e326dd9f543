#!/usr/bin/env python3
"""Compare two ioc-run outputs (kernel vs mock) program by program (issue #10).

Usage: ioc-compare.py KERNEL.txt MOCK.txt [KNOWN-DIFFS]
For each program prints "same", or the first differing call that the
known-difference list (tests/golden/known-diffs.txt) does not explain, with
both result lines. Exit status 1 when any program has an unexplained
difference. A known difference that no longer differs is reported as stale.
"""
import sys


def sections(path):
    out, cur = {}, None
    for line in open(path, errors='replace').read().splitlines():
        if line.startswith('== '):
            cur = line[3:].strip()
            if cur.endswith('.ioc'):
                cur = cur[:-4]
            if cur == 'end':
                cur = None
            else:
                out[cur] = []
        elif cur is not None and line.strip():
            out[cur].append(line)
    return out


def known(path):
    k = {}
    if not path:
        return k
    for line in open(path).read().splitlines():
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        prog, calls = line.split()[:2]
        lo, _, hi = calls.partition('-')
        for c in range(int(lo), int(hi or lo) + 1):
            k.setdefault(prog, set()).add(c)
    return k


def main():
    kern, mock = sections(sys.argv[1]), sections(sys.argv[2])
    kd = known(sys.argv[3] if len(sys.argv) > 3 else None)
    bad = 0
    for prog in sorted(set(kern) | set(mock)):
        k, m = kern.get(prog), mock.get(prog)
        if k is None or m is None:
            print('%-28s MISSING on the %s side' % (prog, 'kernel' if k is None else 'mock'))
            bad += 1
            continue
        exempt = kd.get(prog, set())
        first, stale, explained = None, [], 0
        for i in range(max(len(k), len(m))):
            kl = k[i] if i < len(k) else '(none)'
            ml = m[i] if i < len(m) else '(none)'
            if kl == ml:
                if i in exempt:
                    stale.append(i)
                continue
            if i in exempt:
                explained += 1
                continue
            if first is None:
                first = (i, kl, ml)
        note = ' except %d known difference(s)' % explained if explained else ''
        if stale:
            note += ' (stale known-diff entries: %s)' % ','.join(map(str, stale))
        if first is None:
            print('%-28s agrees%s' % (prog, note))
        else:
            bad += 1
            print('%-28s DIFFERS at call %d%s\n    kernel: %s\n    mock:   %s'
                  % (prog, first[0], note, first[1], first[2]))
    print('%d programs, %d with unexplained differences' % (len(set(kern) | set(mock)), bad))
    return 1 if bad else 0


sys.exit(main())
