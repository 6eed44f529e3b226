#!/usr/bin/env node
// validate.js checks SNS message bodies with AWS's own JavaScript validator
// (npm sns-validator, aws/aws-js-sns-message-validator).
//
// Usage: SNS_HOST_PATTERN='^127\.0\.0\.1:8443$' node validate.js FILE...
//
// Each FILE holds one raw JSON SNS message body as POSTed to a webhook.
// SNS_HOST_PATTERN is the regular expression the host of SigningCertURL
// must match; sns-validator matches the host *with* its port when the URL
// has one. The certificate is fetched over HTTPS with Node's normal trust,
// so a self-signed TLS certificate needs NODE_EXTRA_CA_CERTS=cert.pem.
//
// Prints "ok <Type>" or "FAIL <file>: <error>" per file, in argument order,
// and exits 1 if any file failed (2 on a usage error).
'use strict';

const fs = require('fs');
const MessageValidator = require('sns-validator');

const files = process.argv.slice(2);
if (!process.env.SNS_HOST_PATTERN || files.length === 0) {
  console.error('usage: SNS_HOST_PATTERN=REGEXP node validate.js FILE...');
  process.exit(2);
}
const validator = new MessageValidator(new RegExp(process.env.SNS_HOST_PATTERN));

// validate resolves to the validated message or rejects with the error.
function validate(body) {
  return new Promise((resolve, reject) => {
    validator.validate(body, (err, msg) => (err ? reject(err) : resolve(msg)));
  });
}

(async () => {
  let failed = false;
  for (const file of files) {
    try {
      const msg = await validate(fs.readFileSync(file, 'utf8'));
      console.log(`ok ${msg.Type}`);
    } catch (err) {
      failed = true;
      console.log(`FAIL ${file}: ${err && err.message ? err.message : err}`);
    }
  }
  process.exit(failed ? 1 : 0);
})();
