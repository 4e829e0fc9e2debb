import { describe, expect, it } from 'vitest';
import { TemplateError, mergeValues, renderTemplate, tokenize, truthy } from '../helpers/helm-render.js';

// The renderer that lets the chart tests run without helm (test/helpers/helm-render.ts). Each case
// is what Go's text/template and helm give for the same input.

const scope = {
  Values: {
    name: 'ceos',
    port: 3000,
    on: true,
    off: false,
    empty: '',
    list: ['a', 'b'],
    map: { b: 2, a: 1 },
    nested: { deep: { value: 'x' } },
    resources: { requests: { cpu: '500m' } },
  },
  Release: { Name: 'prod' },
  Chart: { Name: 'ceos', AppVersion: '0.1.0' },
};

const render = (template: string) => renderTemplate(template, scope);

describe('helm-render: text and trimming', () => {
  it.each([
    ['plain text', 'plain text'],
    ['a {{ .Values.name }} b', 'a ceos b'],
    ['a  {{- .Values.name }}  b', 'aceos  b'],
    ['a  {{ .Values.name -}}  \n b', 'a  ceosb'],
    ['a\n{{- /* a comment */ -}}\nb', 'ab'],
    ['{{/* only a comment */}}', ''],
    ['{{ .Values.nested.deep.value }}', 'x'],
    ['[{{ .Values.missing }}]', '[]'],
    ['[{{ .Values.missing.deeper }}]', '[]'],
    ['{{ .Release.Name }}-{{ .Chart.Name }}', 'prod-ceos'],
  ])('%j → %j', (template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it('keeps the minus of a negative number inside an action', () => {
    expect(render('{{ add -1 3 }}')).toBe('2');
  });
});

describe('helm-render: functions and pipelines', () => {
  it.each([
    ['{{ .Values.name | quote }}', '"ceos"'],
    ['{{ .Values.port | quote }}', '"3000"'],
    ['{{ quote .Values.name }}', '"ceos"'],
    ['{{ .Values.missing | default "fallback" }}', 'fallback'],
    ['{{ .Values.empty | default "fallback" }}', 'fallback'],
    ['{{ .Values.name | default "fallback" }}', 'ceos'],
    ['{{ printf "%s-%s" .Release.Name .Chart.Name }}', 'prod-ceos'],
    ['{{ printf "%s-%d" "a" 7 | trunc 3 }}', 'a-7'],
    ['{{ "name-" | trimSuffix "-" }}', 'name'],
    ['{{ add 5 (mul 2 25) 10 }}', '65'],
    ['{{ .Values.port | toString | quote }}', '"3000"'],
    ['{{ if eq .Values.name "ceos" }}yes{{ end }}', 'yes'],
    ['{{ if ne .Values.name "ceos" }}yes{{ else }}no{{ end }}', 'no'],
    ['{{ if and .Values.on .Values.off }}yes{{ else }}no{{ end }}', 'no'],
    ['{{ if or .Values.off .Values.on }}yes{{ end }}', 'yes'],
    ['{{ if not .Values.off }}yes{{ end }}', 'yes'],
    ['{{ if empty .Values.list }}empty{{ else }}full{{ end }}', 'full'],
  ])('%s → %s', (template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it('writes toYaml without its last newline, and nindent starts a new, indented line', () => {
    expect(render('resources:{{ toYaml .Values.resources | nindent 2 }}')).toBe('resources:\n  requests:\n    cpu: 500m');
    expect(render('{{ .Values.list | toYaml | indent 4 }}')).toBe('    - a\n    - b');
  });

  it('fails with required\'s message when the value is missing or empty, and passes it through otherwise', () => {
    expect(() => render('{{ required "name the secret" .Values.missing }}')).toThrow(new TemplateError('name the secret'));
    expect(() => render('{{ required "name the secret" .Values.empty }}')).toThrow('name the secret');
    expect(render('{{ required "name the secret" .Values.name }}')).toBe('ceos');
  });
});

describe('helm-render: control structures', () => {
  it('takes the first true branch of if / else if / else', () => {
    const template = '{{ if .Values.off }}a{{ else if .Values.empty }}b{{ else if .Values.on }}c{{ else }}d{{ end }}';
    expect(render(template)).toBe('c');
    expect(render('{{ if .Values.off }}a{{ else if .Values.empty }}b{{ else }}d{{ end }}')).toBe('d');
  });

  it('follows Go truth: false, 0, nil and empty strings, lists and maps are false', () => {
    for (const value of [false, 0, undefined, null, '', [], {}]) expect(truthy(value)).toBe(false);
    for (const value of [true, 1, 'x', ['a'], { a: 1 }]) expect(truthy(value)).toBe(true);
  });

  it('ranges over a list with . as the item, and over a map in key order with $key, $value', () => {
    expect(render('{{ range .Values.list }}[{{ . }}]{{ end }}')).toBe('[a][b]');
    expect(render('{{ range $k, $v := .Values.map }}{{ $k }}={{ $v }};{{ end }}')).toBe('a=1;b=2;');
    expect(render('{{ range $v := .Values.list }}{{ $v }}{{ $.Release.Name }} {{ end }}')).toBe('aprod bprod ');
    expect(render('{{ range .Values.missing }}x{{ else }}none{{ end }}')).toBe('none');
  });

  it('sets . to the value inside with, and skips the block when it is empty', () => {
    expect(render('{{ with .Values.nested.deep }}{{ .value }}{{ end }}')).toBe('x');
    expect(render('{{ with .Values.missing }}x{{ else }}y{{ end }}')).toBe('y');
    expect(render('{{ with .Values.nested }}{{ $.Release.Name }}{{ end }}')).toBe('prod');
  });

  it('renders defined templates through include (a value, pipeable) and template', () => {
    const defines = new Map();
    renderTemplate('{{- define "name" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}', scope, defines);
    expect(renderTemplate('{{ include "name" . | quote }}', scope, defines)).toBe('"prod-ceos"');
    expect(renderTemplate('{{ template "name" . }}', scope, defines)).toBe('prod-ceos');
    expect(() => renderTemplate('{{ include "other" . }}', scope, defines)).toThrow('no template "other" is defined');
  });
});

describe('helm-render: what is outside the subset is an error, never a guess', () => {
  it.each([
    ['{{ .Values.name', 'unclosed action'],
    ['{{ if .Values.on }}x', 'missing {{ end }}'],
    ['x{{ end }}', 'unexpected {{ end }}'],
    ['{{ lookup "v1" "Secret" "ns" "name" }}', 'function "lookup" is not in the renderer\'s subset'],
    ['{{ constructor . }}', 'function "constructor" is not in the renderer\'s subset'],
    ['{{ $x := .Values.name }}', 'variable assignment is not in the renderer\'s subset'],
    ['{{ .Values.map }}', 'cannot print a map without toYaml'],
    ['{{ .Values.name.field }}', 'cannot read .field of a string'],
    ['{{ $nope }}', 'undefined variable $nope'],
    ['{{ "unterminated }}', 'unterminated string'],
  ])('%s', (template, message) => {
    expect(() => render(template)).toThrow(TemplateError);
    expect(() => render(template)).toThrow(message);
  });

  it('drops a comment action from the tokens', () => {
    expect(tokenize('a{{/* c */}}b')).toEqual([
      { kind: 'text', text: 'a' },
      { kind: 'text', text: 'b' },
    ]);
  });
});

describe('helm-render: value overrides merge as in helm', () => {
  it('merges maps key by key, replaces lists and scalars, and deletes a default set to null', () => {
    const base = { a: { b: 1, c: 2 }, list: [1, 2], keep: 'x', drop: 'y' };
    expect(mergeValues(base, { a: { c: 3 }, list: [9], drop: null })).toEqual({ a: { b: 1, c: 3 }, list: [9], keep: 'x' });
    expect(base).toEqual({ a: { b: 1, c: 2 }, list: [1, 2], keep: 'x', drop: 'y' });
  });
});
