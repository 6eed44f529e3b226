package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
	"github.com/ivvy-notify/ivvy-notify/internal/ivvyapi"
	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/snsapi"
)

// Server is a running ivvy-notify node: its Core and Domain plus the public
// and admin listeners.
type Server struct {
	*Core
	*Domain
	log              *slog.Logger
	adminToken       string
	adminTokenSource secrets.Source
	publicLn         net.Listener
	adminLn          net.Listener
	publicSrv        *http.Server
	adminSrv         *http.Server
}

// serveLockWait is how long a starting server waits for a command (account
// create, say) to release the data directory.
const serveLockWait = 10 * time.Second

// NewServer locks the data directory, opens the core and binds both
// listeners; Run serves them. Another server holding the data directory is
// an error (*LockedError) that says so, at once; a command holding it is
// waited for, up to serveLockWait.
func NewServer(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	lock, err := lockWaiting(cfg.DataDir, ServeCommand, serveLockWait, isServer)
	if err != nil {
		return nil, serveLockError(err)
	}
	core, err := OpenLockedCore(ctx, cfg, log, lock)
	if err != nil {
		return nil, err
	}
	s := &Server{Core: core, log: log}
	if err := s.init(ctx); err != nil {
		s.closeListeners()
		core.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) init(ctx context.Context) error {
	token, src, err := secrets.LoadAdminToken(s.Config.DataDir, s.Config.AdminToken, rand.Reader)
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	s.adminToken, s.adminTokenSource = token, src
	if s.publicLn, err = net.Listen("tcp", s.Config.Listen); err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	if s.adminLn, err = net.Listen("tcp", s.Config.AdminListen); err != nil {
		return fmt.Errorf("--admin-listen: %w", err)
	}
	if s.Domain, err = s.NewDomain(ctx, s.Config.PublicBase(s.publicLn.Addr().String())); err != nil {
		return err
	}
	s.publicSrv = newHTTPServer(s.publicHandler(), s.log)
	s.adminSrv = newHTTPServer(s.adminHandler(), s.log)
	// Where the token is, not whether it was just generated.
	return s.lock.ServerUp(s.AdminURL(), secrets.Source{Env: src.Env, Path: src.Path}.String())
}

// serveLockError says what to do about a data directory in use.
func serveLockError(err error) error {
	var le *LockedError
	if errors.As(err, &le) {
		return fmt.Errorf("%w: stop it, or give this server another --data-dir", err)
	}
	return err
}

// publicHandler routes the public listener: health and the iVvy API.
func (s *Server) publicHandler() http.Handler {
	api := ivvyapi.NewHandler(ivvyapi.Options{
		Keys: s.Accounts, Logger: s.log, MaxBodyBytes: s.Config.MaxBodyBytes,
		RateLimit: s.Config.RateLimit, RateBurst: s.Config.RateBurst,
	})
	api.RegisterSubscriptions(s.Notify)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("/api/", api)
	snsapi.Register(mux, snsapi.Options{
		Domain: s.Notify, PublicKeys: s.Accounts, CertPEM: s.SNS.CertPEM, CertHex: s.SNS.CertHex, Logger: s.log,
	})
	return mux
}

// adminHandler routes the admin listener: health (no token) and the API.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", s.Metrics.Handler())
	mux.Handle("/", admin.NewHandler(admin.Options{
		Token: s.adminToken, Accounts: s.Accounts, Notify: s.Notify, Store: s.Store, ServerPolicy: s.ServerPolicy, Logger: s.log,
	}))
	return mux
}

// healthz answers 200 while the database answers, 503 otherwise.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if err := s.Store.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, `{"status":"unavailable"}`)
		return
	}
	fmt.Fprintln(w, `{"status":"ok"}`)
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// AdminURL is the admin listener's base URL.
func (s *Server) AdminURL() string { return "http://" + s.adminLn.Addr().String() }

// AdminToken is the admin API's bearer token.
func (s *Server) AdminToken() string { return s.adminToken }

// PrintBanner writes where everything is: both URLs, the data directory,
// and where the admin token and master key come from (never their values).
func (s *Server) PrintBanner(w io.Writer, version string) {
	dataDir, _ := filepath.Abs(s.Config.DataDir)
	fmt.Fprintf(w, "ivvy-notify %s\n", version)
	fmt.Fprintf(w, "  iVvy API (public):  %s/api/1.0/\n", s.PublicURL)
	fmt.Fprintf(w, "  admin API:          %s/v1/\n", s.AdminURL())
	fmt.Fprintf(w, "  data directory:     %s\n", dataDir)
	fmt.Fprintf(w, "  database:           %s\n", s.Store.Name())
	fmt.Fprintf(w, "  admin token:        %s\n", s.adminTokenSource)
	fmt.Fprintf(w, "  master key:         %s\n", s.MasterKeySource)
	fmt.Fprintf(w, "  signing cert:       %s\n", sns.CertURL(s.PublicURL, s.SNS.CertHex))
	fmt.Fprintf(w, "  public keys:        %s/accounts/{id}/{version}/notifcert.txt\n", s.KeyBaseURL)
}

// Run serves until ctx is cancelled, then shuts down gracefully within the
// configured timeout and closes the store.
func (s *Server) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	// The engine outlives ctx: SIGTERM must not cancel attempts in flight;
	// shutdown stops it gracefully (Deliveries.Stop) instead.
	if err := s.Deliveries.Start(context.WithoutCancel(ctx)); err != nil {
		return errors.Join(err, s.Core.Close())
	}
	serve := func(run func() error) func() error {
		return func() error {
			if err := run(); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
	}
	g.Go(serve(func() error {
		if s.Config.TLSCert != "" {
			return s.publicSrv.ServeTLS(s.publicLn, s.Config.TLSCert, s.Config.TLSKey)
		}
		return s.publicSrv.Serve(s.publicLn)
	}))
	g.Go(serve(func() error { return s.adminSrv.Serve(s.adminLn) }))
	g.Go(func() error {
		<-gctx.Done()
		return s.shutdown()
	})
	err := g.Wait()
	if cerr := s.Core.Close(); err == nil {
		err = cerr
	}
	return err
}

// shutdown stops both listeners and the delivery engine, letting
// in-flight requests and attempts finish within the timeout.
func (s *Server) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.Config.ShutdownTimeout)
	defer cancel()
	s.log.Info("shutting down", "timeout", s.Config.ShutdownTimeout)
	return errors.Join(s.publicSrv.Shutdown(ctx), s.adminSrv.Shutdown(ctx), s.Deliveries.Stop(ctx))
}

func (s *Server) closeListeners() {
	for _, ln := range []net.Listener{s.publicLn, s.adminLn} {
		if ln != nil {
			ln.Close()
		}
	}
}
