package receivertest

// This file is the Server's HTTP side: the certificate, the account keys and
// SNS's SubscribeURL and UnsubscribeURL.

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
)

// serve answers certificate, key and subscription URL requests.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.fetches[r.URL.Path]++
	s.mu.Unlock()
	switch {
	case r.Method != http.MethodGet:
		http.Error(w, "receivertest: GET only", http.StatusMethodNotAllowed)
	case r.URL.Path == s.certPath:
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		_, _ = w.Write(s.certPEM)
	case s.isKeyPath(r.URL.Path):
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(s.keyPEM)
	case r.URL.Path == "/" && r.URL.Query().Get("Action") == "ConfirmSubscription":
		s.confirm(w, r.URL.Query())
	case r.URL.Path == "/" && r.URL.Query().Get("Action") == "Unsubscribe":
		s.mu.Lock()
		s.unsubscribed = append(s.unsubscribed, r.URL.Query().Get("SubscriptionArn"))
		s.mu.Unlock()
		_, _ = w.Write(sns.UnsubscribeResponseXML(requestID()))
	default:
		http.NotFound(w, r)
	}
}

// isKeyPath reports whether path is /keys/accounts/{id}/{version}/notifcert.txt
// for the Server's key version and any account id.
func (s *Server) isKeyPath(path string) bool {
	rest, ok := strings.CutPrefix(path, KeysPath+"/accounts/")
	parts := strings.Split(rest, "/")
	return ok && len(parts) == 3 && parts[0] != "" &&
		parts[1] == strconv.FormatInt(s.keyVersion, 10) && parts[2] == "notifcert.txt"
}

// confirm answers a SubscribeURL visit like SNS: 200 with the subscription
// ARN for a token this Server issued for the topic, 400 otherwise.
func (s *Server) confirm(w http.ResponseWriter, q url.Values) {
	topic, token := q.Get("TopicArn"), q.Get("Token")
	s.mu.Lock()
	ok := token != "" && s.tokens[token] == topic
	if ok {
		s.confirmed = append(s.confirmed, topic)
	}
	s.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(sns.ErrorResponseXML(sns.ErrorCodeInvalidParameter, "Invalid parameter: Token", requestID()))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(sns.ConfirmSubscriptionResponseXML(s.SubscriptionArn(topic), requestID()))
}

// requestID returns a random request id for SNS XML answers.
func requestID() string {
	id, err := sns.NewMessageID(rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("receivertest: %v", err))
	}
	return id
}
