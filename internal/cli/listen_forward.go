package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// serverCheckTimeout bounds listen's start-up check of --server.
const serverCheckTimeout = 3 * time.Second

// errAnswered is what OnNotification returns for a notification answered
// with a non-2xx status: the Handler then leaves it unmarked, so that the
// server's retry is verified and shown again instead of as a duplicate.
var errAnswered = errors.New("listen: answered with a non-2xx status")

// forwardResult is what became of forwarding one notification to
// --forward-to: the app's status, or the error that kept it from answering.
type forwardResult struct {
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// String is the text report's line: "✓ URL → 204 No Content".
func (f *forwardResult) String() string {
	switch {
	case f == nil:
		return ""
	case f.Error != "":
		return "✗ " + f.Error
	case f.Status >= 300:
		return fmt.Sprintf("✗ %s → %d %s", f.URL, f.Status, http.StatusText(f.Status))
	default:
		return fmt.Sprintf("✓ %s → %d %s", f.URL, f.Status, http.StatusText(f.Status))
	}
}

// checkStatus checks --status and --forward-status; statusGiven says
// whether --status was on the command line.
func (f listenFlags) checkStatus(statusGiven bool) error {
	switch {
	case f.status < 200 || f.status > 599:
		return fmt.Errorf("--status %d: want an HTTP status from 200 to 599", f.status)
	case f.forwardStatus && f.forwardTo == "":
		return errors.New("--forward-status passes on --forward-to's status: give --forward-to too")
	case f.forwardStatus && statusGiven:
		return errors.New("--status and --forward-status both choose the answer: give one of them")
	}
	return nil
}

// forward POSTs the verified iVvy message to --forward-to; nil without one.
func (l *listener) forward(ctx context.Context, n *receiver.Notification) *forwardResult {
	if l.flags.forwardTo == "" {
		return nil
	}
	res := &forwardResult{URL: l.flags.forwardTo}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.flags.forwardTo, strings.NewReader(n.Raw.Message))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Ivvy-Subject", n.Subject)
	resp, err := l.client.Do(req)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	res.Status = resp.StatusCode
	return res
}

// answerStatus is the status a verified notification is answered with:
// the app's with --forward-status (502 when it did not answer), else
// --status.
func (l *listener) answerStatus(fwd *forwardResult) int {
	if !l.flags.forwardStatus {
		return l.flags.status
	}
	if fwd == nil || fwd.Status == 0 {
		return http.StatusBadGateway
	}
	return fwd.Status
}

// finalStatus is the status a request is answered with: the notification's
// chosen answer, --status for a duplicate the Handler accepted again, else
// the Handler's own (a refusal keeps its 4xx; a confirmation its 200).
func (l *listener) finalStatus(s *seen, handlerCode int) int {
	switch {
	case s.answer != 0:
		return s.answer
	case s.err != nil && handlerCode == http.StatusOK && !l.flags.forwardStatus:
		if c, _ := receiver.CheckOf(s.err); c == receiver.CheckDuplicate {
			return l.flags.status
		}
	}
	return handlerCode
}

// checkServer checks that an ivvy-notify server answers at --server: GET
// /healthz on its public listener, briefly.
func checkServer(ctx context.Context, server string) error {
	if server == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, serverCheckTimeout)
	defer cancel()
	health := strings.TrimRight(server, "/") + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, health, nil)
	if err != nil {
		return fmt.Errorf("--server %q: %w", server, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no ivvy-notify server answers at %s (%w): start one (ivvy-notify serve), "+
			"or set --server to its public URL", server, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusServiceUnavailable:
		return fmt.Errorf("the ivvy-notify server at %s answers, but its database does not (GET %s: HTTP 503): see its log", server, health)
	}
	return fmt.Errorf("GET %s answered HTTP %d: is --server %s an ivvy-notify server's public URL (e.g. http://127.0.0.1:8080)?",
		health, resp.StatusCode, server)
}
