package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// listenFlags configure ivvy-notify listen.
type listenFlags struct {
	listen       string
	forwardTo    string
	certHost     string
	keyBaseURL   string
	server       string
	insecureHTTP bool
	asJSON       bool
	// status answers each verified notification; forwardStatus answers
	// with the forwarded app's status instead.
	status        int
	forwardStatus bool
}

func newListenCmd(io IO) *cobra.Command {
	var f listenFlags
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Run a local webhook receiver that verifies and shows every message (and can forward it to your app)",
		Long: "listen is a webhook endpoint for building an integration: it checks the SNS signature and the\n" +
			"inner iVvy signature of every message, confirms subscriptions itself, prints what arrived\n" +
			"(✓/✗ per signature, with the reason), and can forward each verified iVvy message to your app.\n" +
			"Against a local server: ivvy-notify listen --server http://127.0.0.1:8080",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.checkStatus(cmd.Flags().Changed("status")); err != nil {
				return err
			}
			return runListen(cmd.Context(), f, io)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.listen, "listen", "127.0.0.1:9000", "address to receive webhooks on")
	fs.StringVar(&f.forwardTo, "forward-to", "", "POST each verified notification's iVvy message to this URL and report the status")
	fs.StringVar(&f.certHost, "cert-host", receiver.DefaultCertHostPattern, "regular expression the SigningCertURL host must match (host, or host:port)")
	fs.StringVar(&f.keyBaseURL, "key-base-url", "", "base URL of accounts' public keys (the .NET receiver's SIGNING_BASE_PATH)")
	fs.StringVar(&f.server, "server", "", "an ivvy-notify server's public URL: sets --cert-host and --key-base-url for it (and allows http if it is http)")
	fs.BoolVar(&f.insecureHTTP, "insecure-http-cert", false, "allow certificates, keys and SubscribeURLs over plain http (local servers only)")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON line per message on stdout (and everything else on stderr)")
	fs.IntVar(&f.status, "status", http.StatusOK, "HTTP status to answer each verified notification with (e.g. 500, to see the server retry)")
	fs.BoolVar(&f.forwardStatus, "forward-status", false, "answer each notification with the status --forward-to's app answered (502 if it cannot be reached)")
	bindFlagsToEnv(cmd, io)
	return cmd
}

// verifierOptions turns the flags into the SDK's options.
func (f listenFlags) verifierOptions() (receiver.Options, error) {
	o := receiver.Options{KeyBaseURL: f.keyBaseURL, AllowHTTP: f.insecureHTTP}
	pattern := f.certHost
	if f.server != "" {
		u, err := url.Parse(f.server)
		if err != nil || u.Host == "" {
			return o, fmt.Errorf("--server %q: want the server's public URL, e.g. http://127.0.0.1:8080", f.server)
		}
		pattern = "^" + regexp.QuoteMeta(u.Host) + "$"
		if o.KeyBaseURL == "" {
			o.KeyBaseURL = strings.TrimRight(f.server, "/") + "/keys"
		}
		o.AllowHTTP = o.AllowHTTP || u.Scheme == "http"
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return o, fmt.Errorf("--cert-host: %w", err)
	}
	o.CertHostPattern = re
	if o.KeyBaseURL == "" {
		return o, errors.New("--key-base-url (or --server) is required to verify the inner iVvy signature")
	}
	return o, nil
}

func runListen(ctx context.Context, f listenFlags, io IO) error {
	opts, err := f.verifierOptions()
	if err != nil {
		return err
	}
	if err := checkServer(ctx, f.server); err != nil {
		return err
	}
	v, err := receiver.NewVerifier(opts)
	if err != nil {
		return err
	}
	l := &listener{flags: f, out: io.Stdout, client: &http.Client{Timeout: 15 * time.Second}}
	if l.handler, err = receiver.NewHandler(v, l.handlerOptions()); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	banner := io.Stdout
	if f.asJSON {
		banner = io.Stderr // stdout carries only the JSON lines
	}
	fmt.Fprintf(banner, "listening on http://%s/ — subscribe this URL; Ctrl-C stops\n", ln.Addr())
	srv := &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listener runs the SDK's Handler on each request and reports what it did.
type listener struct {
	flags   listenFlags
	out     io.Writer
	client  *http.Client
	handler *receiver.Handler
	mu      sync.Mutex // serialises reports
}

// seen collects what the Handler reported about one request.
type seen struct {
	note      *receiver.Notification
	confirmed []byte
	err       error
	forward   *forwardResult
	// answer is the status the notification is answered with, once
	// handled; 0 leaves the Handler's.
	answer int
}

type seenKey struct{}

func (l *listener) handlerOptions() receiver.HandlerOptions {
	get := func(ctx context.Context) *seen { s, _ := ctx.Value(seenKey{}).(*seen); return s }
	return receiver.HandlerOptions{
		OnNotification: func(ctx context.Context, n *receiver.Notification) error {
			s := get(ctx)
			s.note = n
			s.forward = l.forward(ctx, n)
			s.answer = l.answerStatus(s.forward)
			if s.answer >= 300 {
				return errAnswered // not handled: its retry is shown again, not as a duplicate
			}
			return nil
		},
		OnSubscriptionConfirmation: func(ctx context.Context, _ *receiver.SNSMessage, resp []byte) { get(ctx).confirmed = resp },
		OnError: func(r *http.Request, err error) {
			if !errors.Is(err, errAnswered) {
				get(r.Context()).err = err
			}
		},
	}
}

// ServeHTTP handles one webhook request and prints its report.
func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	s := &seen{}
	r = r.WithContext(context.WithValue(r.Context(), seenKey{}, s))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	l.handler.ServeHTTP(rec, r)
	code := l.finalStatus(s, rec.Code)
	if code == rec.Code {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(code)
		_, _ = w.Write(rec.Body.Bytes())
	} else {
		w.WriteHeader(code)
	}
	if r.Method != http.MethodPost {
		return
	}
	rep := newReport(body, s, code)
	rep.Path = r.URL.RequestURI()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.report(rep)
}
