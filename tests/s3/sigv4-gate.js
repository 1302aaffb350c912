// An AWS Signature Version 4 check in front of s3rver, which accepts any signature: every request must be signed
// (an Authorization header or a presigned query) with the test account's secret for the exact method, path, query and
// signed headers it arrived with, or it gets S3's own 403 SignatureDoesNotMatch. So the tests notice a URL signed for
// another host, path or query, or a proxy that changes what was signed, as AWS S3, MinIO, R2 and Ceph would.
// Written from AWS's description of the algorithm (Signature Version 4 signing process, "Create a canonical request").
'use strict';
const crypto = require('crypto');
const http = require('http');

const hmac = (key, text) => crypto.createHmac('sha256', key).update(text, 'utf8').digest();
const sha256 = text => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
// RFC 3986 unreserved characters stay; everything else is %XX with upper-case hex, as S3 canonicalises.
const encode = text => encodeURIComponent(text).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const decode = text => decodeURIComponent(text.replace(/\+/g, '%20'));

function canonicalQuery(rawQuery, skip) {
  if (!rawQuery) return '';
  return rawQuery.split('&').filter(p => p.length > 0).map(p => {
    const at = p.indexOf('=');
    const name = decode(at < 0 ? p : p.slice(0, at));
    const value = at < 0 ? '' : decode(p.slice(at + 1));
    return [encode(name), encode(value)];
  }).filter(([name]) => name !== skip)
    .sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
    .map(([name, value]) => name + '=' + value).join('&');
}

function headerValue(req, name) {
  const raw = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    if (req.rawHeaders[i].toLowerCase() === name) raw.push(req.rawHeaders[i + 1].trim().replace(/\s+/g, ' '));
  return raw.length === 0 ? null : raw.join(',');
}

// Returns null when the request is signed rightly, else why not.
function check(req, secret, now) {
  const [path, rawQuery = ''] = req.url.split(/\?(.*)/s);
  const query = new URLSearchParams(rawQuery);
  let credential, signedHeaders, signature, amzDate, payload, skip;
  const authorization = req.headers['authorization'];
  if (authorization) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization);
    if (!m) return 'the Authorization header is not a Signature Version 4 one';
    [, credential, signedHeaders, signature] = m;
    amzDate = req.headers['x-amz-date'];
    payload = req.headers['x-amz-content-sha256'];
    if (!payload) return 'x-amz-content-sha256 is missing';
  } else if (query.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') {
    credential = query.get('X-Amz-Credential');
    signedHeaders = query.get('X-Amz-SignedHeaders');
    signature = query.get('X-Amz-Signature');
    amzDate = query.get('X-Amz-Date');
    payload = query.get('X-Amz-Content-Sha256') || 'UNSIGNED-PAYLOAD';
    skip = 'X-Amz-Signature';
    const expires = Number(query.get('X-Amz-Expires'));
    const signedAt = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate || '');
    if (!signedAt || !(expires > 0 && expires <= 604800)) return 'the presigned URL has no valid date or lifetime';
    const at = Date.UTC(+signedAt[1], +signedAt[2] - 1, +signedAt[3], +signedAt[4], +signedAt[5], +signedAt[6]);
    if (now > at + expires * 1000) return 'the presigned URL has expired';
  } else {
    return 'the request is not signed';
  }
  if (!credential || !signedHeaders || !signature || !amzDate) return 'the signature is incomplete';
  const [accessKey, date, region, service, terminator] = credential.split('/');
  if (terminator !== 'aws4_request' || service !== 's3' || !amzDate.startsWith(date)) return 'the credential scope is malformed';
  if (!signedHeaders.split(';').includes('host')) return 'the Host header is not signed';
  const headers = signedHeaders.split(';').map(name => {
    const value = headerValue(req, name);
    return value === null ? null : name + ':' + value + '\n';
  });
  if (headers.includes(null)) return 'a signed header is missing';
  const canonical = [req.method, path, canonicalQuery(rawQuery, skip), headers.join(''), signedHeaders, payload].join('\n');
  const scope = [date, region, service, terminator].join('/');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac('AWS4' + secret, date);
  for (const part of [region, service, terminator]) key = hmac(key, part);
  const expected = hmac(key, toSign).toString('hex');
  if (accessKey === undefined || signature.length !== 64 || !crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature)))
    return 'the signature does not match the request (canonical request:\n' + canonical + ')';
  return null;
}

module.exports = function gate(upstreamPort, secret, rejections) {
  return http.createServer((req, res) => {
    const problem = check(req, secret, Date.now());
    if (problem) {
      rejections.push(req.method + ' ' + req.url.split('?')[0] + ': ' + problem);
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>' +
        problem.replace(/[<&>]/g, c => '&#' + c.charCodeAt(0) + ';') + '</Message></Error>');
      req.resume();
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, answer => {
      res.writeHead(answer.statusCode, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
};
