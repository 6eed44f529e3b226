package deliverypolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// knownKeys lists the keys allowed in the policy object ("") and in each
// of its object parts, exactly as SNS spells them.
var knownKeys = map[string][]string{
	"": {"healthyRetryPolicy", "sicklyRetryPolicy", "throttlePolicy", "requestPolicy", "guaranteed"},
	"healthyRetryPolicy": {"minDelayTarget", "maxDelayTarget", "numRetries",
		"numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries", "backoffFunction"},
	"throttlePolicy": {"maxReceivesPerSecond"},
	"requestPolicy":  {"headerContentType"},
}

// Parse reads a policy in SNS's subscription-level JSON shape and
// validates it against limits. Parsing is strict: one JSON object, keys
// spelled exactly as SNS does (unknown or differently cased keys are
// rejected), values of the right JSON type, nothing after the object.
// Fields left out of a given part take SNS's defaults (minDelayTarget 20,
// maxDelayTarget 20, numRetries 3, phase counts 0, linear;
// headerContentType DefaultContentType); a part left out or null stays
// nil. Errors are *ValidationError.
func Parse(data []byte, limits Limits) (*Policy, error) {
	raw, err := oneObject(data)
	if err != nil {
		return nil, err
	}
	present, err := checkKeys(raw)
	if err != nil {
		return nil, err
	}
	p, err := decode(raw, present)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(limits); err != nil {
		return nil, err
	}
	return p, nil
}

// oneObject returns the single JSON object data holds.
func oneObject(data []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
		return nil, invalid("", "the policy is empty")
	} else if err != nil {
		return nil, invalid("", "the policy is not valid JSON: "+err.Error())
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return nil, invalid("", "the policy has data after its JSON object")
	}
	if raw = bytes.TrimSpace(raw); raw[0] != '{' {
		return nil, invalid("", "the policy must be a JSON object")
	}
	return raw, nil
}

// checkKeys rejects keys not in knownKeys, reporting the first in sorted
// order, and returns the top-level keys present.
func checkKeys(raw json.RawMessage) (map[string]bool, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, invalid("", "the policy is not valid JSON: "+err.Error())
	}
	present := make(map[string]bool, len(top))
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !slices.Contains(knownKeys[""], k) {
			return nil, invalid(k, "is not a known field")
		}
		present[k] = true
		if err := checkPartKeys(k, top[k]); err != nil {
			return nil, err
		}
	}
	return present, nil
}

// checkPartKeys rejects unknown keys inside the object part named part.
// Values that are not objects are left to decode's type check.
func checkPartKeys(part string, raw json.RawMessage) error {
	allowed, ok := knownKeys[part]
	if !ok || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return invalid(part, "must be an object")
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(allowed, k) {
			return invalid(part+"."+k, "is not a known field")
		}
	}
	return nil
}

// decode fills a Policy from raw over SNS's defaults, then drops the
// parts that were absent, null or empty.
func decode(raw json.RawMessage, present map[string]bool) (*Policy, error) {
	r := snsRetry()
	p := &Policy{HealthyRetryPolicy: &r, ThrottlePolicy: &ThrottlePolicy{},
		RequestPolicy: &RequestPolicy{DefaultContentType}}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, decodeError(err)
	}
	if !present["healthyRetryPolicy"] {
		p.HealthyRetryPolicy = nil
	}
	if !present["throttlePolicy"] {
		p.ThrottlePolicy = nil
	}
	if !present["requestPolicy"] {
		p.RequestPolicy = nil
	}
	if s := bytes.TrimSpace(p.SicklyRetryPolicy); len(s) == 0 || string(s) == "null" {
		p.SicklyRetryPolicy = nil
	}
	return p, nil
}

// decodeError turns a json error into a *ValidationError naming the field.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return invalid(te.Field, "must be "+jsonKind(te.Type))
	}
	return invalid("", "the policy is not valid JSON: "+err.Error())
}

// jsonKind names the JSON type a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
		return "of another type"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "an integer"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() == reflect.Struct:
		return "an object"
	}
	return "of another type"
}

// Preset returns a named built-in policy: "default" or "server" for
// ServerDefault, "sns" for SNSDefault. Names are case-insensitive.
func Preset(name string) (*Policy, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "default", "server":
		return ServerDefault(), nil
	case "sns":
		return SNSDefault(), nil
	}
	return nil, fmt.Errorf("unknown delivery policy preset %q: want default, server, sns or a JSON policy", name)
}

// ParseFlag reads the value of --delivery-policy: a preset name (see
// Preset), or an inline JSON policy validated with ServerLimits. An empty
// value is the default preset.
func ParseFlag(value string) (*Policy, error) {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		return ServerDefault(), nil
	case strings.HasPrefix(v, "{"):
		return Parse([]byte(v), ServerLimits)
	}
	return Preset(v)
}
