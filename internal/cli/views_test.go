package cli_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
)

// viewsServer is a dev-mode "serve" and the flags that reach it.
type viewsServer struct {
	srv              *serving
	dir              string
	admin, subscribe []string
}

func startViewsServer(t *testing.T) *viewsServer {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR": dir, "IVVY_NOTIFY_LISTEN": "127.0.0.1:0", "IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
		"IVVY_NOTIFY_DEV": "true",
	})
	require.Eventually(t, func() bool { return regexp.MustCompile(`admin API:\s+http://`).MatchString(srv.out.String()) },
		5*time.Second, 10*time.Millisecond)
	adminURL := regexp.MustCompile(`admin API:\s+(http://\S+)/v1/`).FindStringSubmatch(srv.out.String())[1]
	return &viewsServer{srv: srv, dir: dir, admin: []string{"--admin-url", adminURL, "--data-dir", dir},
		subscribe: []string{"--api-url", srv.publicURL, "--data-dir", dir}}
}

// run runs a command against the server's admin API and requires success.
func (v *viewsServer) run(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(t, nil, append(args, v.admin...)...)
	require.Equal(t, 0, code, "%v: %s", args, errOut)
	return out
}

// runJSON runs a command with --json and decodes its output.
func (v *viewsServer) runJSON(t *testing.T, out any, args ...string) {
	t.Helper()
	require.NoError(t, json.Unmarshal([]byte(v.run(t, append(args, "--json")...)), out))
}

// subscribeURL subscribes url to companies through the iVvy API (dev key).
func (v *viewsServer) subscribeURL(t *testing.T, url string) {
	t.Helper()
	code, _, errOut := runCLI(t, nil, append([]string{"subscribe", "--endpoint", "companies", "--url", url}, v.subscribe...)...)
	require.Equal(t, 0, code, errOut)
}

func TestViewCommands(t *testing.T) {
	v := startViewsServer(t)
	require.Equal(t, "no dead letters\n", v.run(t, "deadletters", "list"), "an empty list says so")
	require.Equal(t, "no subscriptions\n", v.run(t, "subscriptions", "list"))
	require.Equal(t, "no deliveries\n", v.run(t, "deliveries", "list"))

	// A receiver that refuses everything: its confirmation is dead at once.
	gone := httptest.NewServer(http.NotFoundHandler())
	defer gone.Close()
	v.subscribeURL(t, gone.URL+"/gone")
	var dead admin.DeliveryList
	require.Eventually(t, func() bool {
		v.runJSON(t, &dead, "deadletters", "list")
		return len(dead.Deliveries) == 1
	}, 10*time.Second, 50*time.Millisecond)
	d := dead.Deliveries[0]
	require.Equal(t, "1", d.AccountID)
	require.Nil(t, d.Subject)
	require.Equal(t, gone.URL+"/gone", d.URL)
	id := strconv.FormatInt(d.ID, 10)
	require.Regexp(t, `(?m)^ID\s+ACCOUNT\s+SUBJECT\s+ATTEMPTS\s+DEAD AT\s+URL\s+LAST ERROR\n`+id+
		`\s+1\s+\(SubscriptionConfirmation\)\s+1\s+\S+\s+`+regexp.QuoteMeta(gone.URL)+`/gone\s+HTTP 404\n$`, v.run(t, "deadletters", "list"))
	require.Regexp(t, `(?m)^  attempt 1 at \S+: fail, HTTP 404, \d+ ms: HTTP 404$`, v.run(t, "deadletters", "show", id))

	require.Regexp(t, `^redrove dead letter `+id+` as delivery (\d+)\n1 redriven\n$`, v.run(t, "deadletters", "redrive", id))
	var all admin.DeliveryList
	v.runJSON(t, &all, "deliveries", "list", "--status", "redriven")
	require.Len(t, all.Deliveries, 1)
	v.runJSON(t, &all, "deliveries", "list", "--since", "1h")
	require.Len(t, all.Deliveries, 2, "the dead letter and its redrive")
	again := strconv.FormatInt(all.Deliveries[0].ID, 10)
	code, _, errOut := runCLI(t, nil, append([]string{"deadletters", "redrive", id}, v.admin...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "dead letter "+id+" was already redriven as delivery "+again+"\n")
	require.Eventually(t, func() bool { // the redrive meets the same 404
		v.runJSON(t, &dead, "deadletters", "list", "--since", "1h")
		return len(dead.Deliveries) == 1 && dead.Deliveries[0].ID == all.Deliveries[0].ID
	}, 10*time.Second, 50*time.Millisecond)
	require.Regexp(t, `^redrove dead letter `+again+` as delivery \d+\n1 redriven\n$`, v.run(t, "deadletters", "redrive", "--since", "1h"))
	require.Equal(t, "0 redriven\n", v.run(t, "deadletters", "redrive", "--until", "1h"))
	require.Equal(t, "no deliveries\n", v.run(t, "deliveries", "list", "--until", "1h"))
	require.Equal(t, "no deliveries\n", v.run(t, "deliveries", "list", "--account", "1", "--before", "1"))
	code, _, errOut = runCLI(t, nil, append([]string{"deliveries", "list", "--since", "yesterday"}, v.admin...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `--since "yesterday": want an RFC 3339 time (2026-11-23T10:00:00Z) or an age such as 30m, 1h, 2d`)

	// Nobody listens: the attempt has no response, and is retried.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String() + "/closed"
	require.NoError(t, l.Close())
	v.subscribeURL(t, closed)
	var pending admin.DeliveryList
	require.Eventually(t, func() bool {
		v.runJSON(t, &pending, "deliveries", "list", "--status", "pending")
		return len(pending.Deliveries) == 1 && pending.Deliveries[0].Attempts > 0
	}, 10*time.Second, 50*time.Millisecond)
	p := pending.Deliveries[0]
	require.NotNil(t, p.NextAttemptAt)
	next, err := time.Parse(time.RFC3339, *p.NextAttemptAt)
	require.NoError(t, err)
	require.True(t, next.After(time.Now().Add(-time.Second)), "the retry is due later: %s", next)
	show := v.run(t, "deliveries", "show", strconv.FormatInt(p.ID, 10))
	require.Regexp(t, `(?m)^  attempt 1 at \S+: retry, no response, \d+ ms: `, show)
	require.NotContains(t, show, "HTTP 0")
	require.Contains(t, show, "next attempt at "+*p.NextAttemptAt)
	require.Contains(t, show, "body:\n{\n  \"Type\": \"SubscriptionConfirmation\",\n", "the body is pretty-printed")

	var subs admin.SubscriptionViewList
	v.runJSON(t, &subs, "subscriptions", "list")
	require.Len(t, subs.Subscriptions, 2)
	v.runJSON(t, &subs, "subscriptions", "list", "--account", "1")
	require.Len(t, subs.Subscriptions, 2)
	s := subs.Subscriptions[1]
	require.Equal(t, p.SubscriptionARN, s.ARN)
	require.Equal(t, p.SubscriptionID, s.ID)
	require.Regexp(t, `(?m)^`+strconv.FormatInt(s.ID, 10)+`\s+1\s+companies\s+PendingConfirmation\s+false\s+`+
		regexp.QuoteMeta(closed)+`\s+`+regexp.QuoteMeta(s.ARN)+`$`, v.run(t, "subscriptions", "list"))
	code, _, errOut = runCLI(t, nil, append([]string{"subscriptions", "list", "--account", "9"}, v.admin...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "account 9 not found")
}

func TestSubjectsCommand(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "subjects")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^ENDPOINT\s+SUBJECT\s+REQUIRED FIELDS\n`, out)
	require.Regexp(t, `(?m)^companies\s+CompanyDeleted\s+companyId$`, out)
	require.Regexp(t, `(?m)^venues\s+BookingUpdated\s+data, previousData$`, out)

	file := filepath.Join(t.TempDir(), "subjects.json")
	require.NoError(t, writeFile(file, `{"subjects":[{"name":"EventDeleted","endpoint":"events","shape":"ids","ids":["eventId"]}]}`))
	code, out, errOut = runCLI(t, nil, "subjects", "--json", "--catalog-file", file)
	require.Equal(t, 0, code, errOut)
	var list []struct {
		Endpoint, Subject, Shape string
		RequiredFields           []string
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Equal(t, "events", list[0].Endpoint, "events come first")
	require.Equal(t, "EventDeleted", list[0].Subject)
	require.Equal(t, []string{"eventId"}, list[0].RequiredFields)

	code, _, errOut = runCLI(t, nil, "subjects", "--catalog-file", filepath.Join(t.TempDir(), "missing.json"))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "missing.json")
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
