// Package receiver is the Go SDK for programs that receive the webhooks
// ivvy-notify delivers — or that iVvy delivers through Amazon SNS, since
// the bytes are the same.
//
// A webhook body is an Amazon SNS HTTP/S message. ParseSNSMessage decodes
// it strictly, and VerifySNSSignature checks its SNS signature against the
// public key of the certificate at its SigningCertURL (ParseCertificatePEM
// reads that certificate):
//
//	msg, err := receiver.ParseSNSMessage(body)
//	if err != nil { ... }                                   // ErrMalformedMessage
//	cert, err := receiver.ParseCertificatePEM(pemBytes)     // fetched from a trusted SigningCertURL
//	if err != nil { ... }
//	if err := receiver.VerifySNSSignature(msg, cert.PublicKey); err != nil { ... } // ErrSNSSignature
//
// Fetching the certificate is the caller's job: only fetch it over https
// from a host you trust (ivvy-notify's public URL, or
// sns.<region>.amazonaws.com), and cache it by URL. Signatures are checked
// exactly as SNS defines them; certificate dates and chains are not
// checked, as most SNS validators do not check them either.
//
// The SNS layer is written from the SNS documentation alone and shares no
// code with ivvy-notify's signer, so that each checks the other.
package receiver
