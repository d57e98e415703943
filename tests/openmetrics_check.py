#!/usr/bin/env python3
"""Checks that a text is valid OpenMetrics exposition (the subset l3nft
writes: counters and gauges), with the standard library only.

    python3 tests/openmetrics_check.py [FILE]      (default: stdin)

Exit 0 when valid; 1 with one line per error on stderr. What is checked:
every line ends with a newline and the last is "# EOF"; no blank lines;
"# TYPE" comes once per family, before its samples, and "# HELP" (escaped)
belongs to the family just announced; families are not interleaved;
metric and label names are well formed; a counter's samples are named
FAMILY_total (or FAMILY_created), a gauge's FAMILY; label values are
quoted with only \\\\, \\" and \\n escapes; no label name repeats in a
sample, no sample (name and labels) repeats; values are numbers, a
counter's never negative or NaN.
"""
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*\Z')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*\Z')
TYPES = ('counter', 'gauge', 'histogram', 'gaugehistogram', 'stateset', 'info', 'summary',
         'unknown')


def parse_labels(s, i, errs, where):
    """Parses '{a="x",b="y"}' from s[i] == '{'; returns (labels, next index)."""
    labels = {}
    i += 1
    if i < len(s) and s[i] == '}':
        return labels, i + 1
    while True:
        m = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*').match(s, i)
        if not m:
            errs.append(f'{where}: bad label name at column {i + 1}')
            return None, i
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            errs.append(f'{where}: expected =" after label {name}')
            return None, i
        i += 2
        val = []
        while i < len(s) and s[i] != '"':
            if s[i] == '\\':
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    errs.append(f'{where}: bad escape in the value of label {name}')
                    return None, i
                val.append({'\\': '\\', '"': '"', 'n': '\n'}[s[i + 1]])
                i += 2
            elif s[i] == '\n':
                errs.append(f'{where}: raw newline in label {name}')
                return None, i
            else:
                val.append(s[i])
                i += 1
        if i >= len(s):
            errs.append(f'{where}: unterminated value of label {name}')
            return None, i
        i += 1
        if name in labels:
            errs.append(f'{where}: label {name} repeats')
            return None, i
        labels[name] = ''.join(val)
        if s[i:i + 1] == '}':
            return labels, i + 1
        if s[i:i + 1] != ',':
            errs.append(f'{where}: expected , or }} after label {name}')
            return None, i
        i += 1


def number(v):
    if v in ('+Inf', '-Inf', 'NaN'):
        return float(v.replace('Inf', 'inf').replace('NaN', 'nan'))
    if not re.match(r'[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)\Z', v):
        raise ValueError(v)
    return float(v)


def check(text):
    errs = []
    if not text.endswith('\n'):
        errs.append('the text does not end with a newline')
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    if not lines or lines[-1] != '# EOF':
        errs.append('the last line is not "# EOF"')
    families = {}          # name -> type
    current = None         # the family samples may go to
    helped = set()
    samples = set()
    done = set()           # families whose samples are over
    for n, line in enumerate(lines, 1):
        where = f'line {n}'
        if line == '# EOF':
            if n != len(lines):
                errs.append(f'{where}: "# EOF" before the end')
            continue
        if line == '':
            errs.append(f'{where}: blank line')
            continue
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) < 3 or parts[0] != '#' or parts[1] not in ('TYPE', 'HELP', 'UNIT'):
                errs.append(f'{where}: not a TYPE, HELP or UNIT line: {line!r}')
                continue
            kind, fam = parts[1], parts[2]
            if not NAME.match(fam):
                errs.append(f'{where}: bad family name {fam!r}')
            if kind == 'TYPE':
                if len(parts) != 4 or parts[3] not in TYPES:
                    errs.append(f'{where}: bad type in {line!r}')
                    continue
                if fam in families:
                    errs.append(f'{where}: family {fam} announced twice')
                if parts[3] == 'counter' and fam.endswith('_total'):
                    errs.append(f'{where}: counter family {fam} must not end in _total')
                if current:
                    done.add(current)
                families[fam] = parts[3]
                current = fam
            elif kind == 'HELP':
                if fam != current:
                    errs.append(f'{where}: HELP for {fam} outside its family')
                if fam in helped:
                    errs.append(f'{where}: HELP for {fam} twice')
                helped.add(fam)
                text_ = parts[3] if len(parts) == 4 else ''
                if re.search(r'\\[^\\"n]|\\\Z', text_):
                    errs.append(f'{where}: bad escape in HELP of {fam}')
            continue
        m = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*').match(line)
        if not m:
            errs.append(f'{where}: bad metric name: {line!r}')
            continue
        name = m.group(0)
        i = m.end()
        labels = {}
        if line[i:i + 1] == '{':
            labels, i = parse_labels(line, i, errs, where)
            if labels is None:
                continue
        rest = line[i:]
        if not rest.startswith(' '):
            errs.append(f'{where}: expected a space before the value')
            continue
        fields = rest[1:].split(' ')
        if len(fields) not in (1, 2):
            errs.append(f'{where}: expected VALUE [TIMESTAMP]')
            continue
        try:
            value = number(fields[0])
        except ValueError:
            errs.append(f'{where}: bad value {fields[0]!r}')
            continue
        if current is None:
            errs.append(f'{where}: sample {name} before any TYPE line')
            continue
        kind = families[current]
        if kind == 'counter':
            if name not in (current + '_total', current + '_created'):
                errs.append(f'{where}: counter sample {name} is not {current}_total')
            elif value != value or value < 0:
                errs.append(f'{where}: counter {name} is negative or NaN')
        elif kind == 'gauge' and name != current:
            fam = next((f for f in families if name in (f, f + '_total')), None)
            why = 'interleaved with another family' if fam in done else 'of no family'
            errs.append(f'{where}: gauge sample {name} under family {current} ({why})')
        key = (name, tuple(sorted(labels.items())))
        if key in samples:
            errs.append(f'{where}: sample {name}{labels} repeats')
        samples.add(key)
    return errs


def main():
    data = open(sys.argv[1], 'rb').read() if len(sys.argv) > 1 else sys.stdin.buffer.read()
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        print('openmetrics_check: not UTF-8', file=sys.stderr)
        return 1
    errs = check(text)
    for e in errs:
        print(f'openmetrics_check: {e}', file=sys.stderr)
    return 1 if errs else 0


if __name__ == '__main__':
    sys.exit(main())
