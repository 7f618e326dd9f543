#!/usr/bin/env python3
"""Compare kselftest TAP results of the real kernel and the mock (issue #10).

Usage: tap-compare.py OUT.txt NAME KERNEL.tap MOCK.tap [NAME KERNEL.tap MOCK.tap]...
Prints (and writes to OUT.txt) one row per test: kernel result, mock result,
agree?, then per-binary and overall totals. A test missing from one side (the
binary crashed or timed out there) shows as "-".
"""
import re
import sys

LINE = re.compile(r'^(not ok|ok) (\d+) (\S+)(.*)$')


def parse(path):
    res = {}
    try:
        text = open(path, errors='replace').read()
    except OSError:
        return res
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if not m:
            continue
        ok, _, name, rest = m.groups()
        if '# SKIP' in rest:
            r = 'skip'
        elif '# XFAIL' in rest:
            r = 'xfail'
        else:
            r = 'pass' if ok == 'ok' else 'fail'
        res[name] = r
    return res


def main():
    out, args = sys.argv[1], sys.argv[2:]
    rows, totals = [], []
    for i in range(0, len(args), 3):
        name, kpath, mpath = args[i:i + 3]
        k, m = parse(kpath), parse(mpath)
        names = list(k) + [n for n in m if n not in k]
        t = {'tests': len(names), 'agree': 0, 'kpass': 0, 'mpass': 0}
        for n in names:
            kr, mr = k.get(n, '-'), m.get(n, '-')
            agree = kr == mr
            t['agree'] += agree
            t['kpass'] += kr == 'pass'
            t['mpass'] += mr == 'pass'
            rows.append('%-16s %-64s %-6s %-6s %s' % (name, n, kr, mr, 'yes' if agree else 'NO'))
        totals.append('%s: %d tests; kernel pass %d, mock pass %d; agree %d, disagree %d'
                      % (name, t['tests'], t['kpass'], t['mpass'], t['agree'],
                         t['tests'] - t['agree']))
    text = '%-16s %-64s %-6s %-6s %s\n' % ('binary', 'test', 'kernel', 'mock', 'agree')
    text += '\n'.join(rows) + '\n\n' + '\n'.join(totals) + '\n'
    open(out, 'w').write(text)
    sys.stdout.write(text)


main()
