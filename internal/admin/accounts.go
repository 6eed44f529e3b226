package admin

import (
	"net/http"
	"strconv"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// Account is an account as the admin API shows it.
type Account struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"createdAt"`
}

// AccountList is GET /v1/accounts's body.
type AccountList struct {
	Accounts []Account `json:"accounts"`
}

// APIKey is an API key as the admin API lists it: never its secret.
type APIKey struct {
	Key       string  `json:"key"`
	UserID    *int64  `json:"userId"`
	Primary   bool    `json:"primary"`
	CreatedAt string  `json:"createdAt"`
	RevokedAt *string `json:"revokedAt"`
}

// CreatedAPIKey is POST /v1/accounts/{id}/keys's body: the one time the
// secret is shown.
type CreatedAPIKey struct {
	Key       string `json:"key"`
	Secret    string `json:"secret"`
	UserID    *int64 `json:"userId"`
	Primary   bool   `json:"primary"`
	CreatedAt string `json:"createdAt"`
}

// APIKeyList is GET /v1/accounts/{id}/keys's body.
type APIKeyList struct {
	Keys []APIKey `json:"keys"`
}

// AccountView converts a stored account.
func AccountView(a *store.Account) Account {
	return Account{ID: strconv.FormatInt(a.ID, 10), Name: a.Name, CreatedAt: formatTime(a.CreatedAt)}
}

// APIKeyView converts a stored key, leaving out its secret.
func APIKeyView(k *store.APIKey) APIKey {
	v := APIKey{Key: k.Key, UserID: k.UserID, Primary: k.Primary, CreatedAt: formatTime(k.CreatedAt)}
	if k.RevokedAt != nil {
		s := formatTime(*k.RevokedAt)
		v.RevokedAt = &s
	}
	return v
}

func (a *api) createAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in, maxBodyBytes); err != nil {
		a.fail(w, r, err)
		return
	}
	acct, err := a.accounts.CreateAccount(r.Context(), in.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, AccountView(acct))
}

func (a *api) listAccounts(w http.ResponseWriter, r *http.Request) {
	list, err := a.accounts.Accounts(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := AccountList{Accounts: make([]Account, 0, len(list))}
	for _, acct := range list {
		out.Accounts = append(out.Accounts, AccountView(acct))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) getAccount(w http.ResponseWriter, r *http.Request) {
	id, err := accountID(r)
	if err == nil {
		var acct *store.Account
		if acct, err = a.accounts.Account(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, AccountView(acct))
			return
		}
	}
	a.fail(w, r, err)
}

func (a *api) createKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UserID  *int64 `json:"userId"`
		Primary bool   `json:"primary"`
	}
	id, err := accountID(r)
	if err == nil {
		err = decode(w, r, &in, maxBodyBytes)
	}
	var k *accounts.CreatedKey
	if err == nil {
		k, err = a.accounts.CreateKey(r.Context(), id, accounts.KeyParams{UserID: in.UserID, Primary: in.Primary})
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, CreatedAPIKey{
		Key: k.Key, Secret: k.Secret, UserID: k.UserID, Primary: k.Primary, CreatedAt: formatTime(k.CreatedAt),
	})
}

func (a *api) listKeys(w http.ResponseWriter, r *http.Request) {
	id, err := accountID(r)
	var keys []*store.APIKey
	if err == nil {
		keys, err = a.accounts.Keys(r.Context(), id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := APIKeyList{Keys: make([]APIKey, 0, len(keys))}
	for _, k := range keys {
		out.Keys = append(out.Keys, APIKeyView(k))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) revokeKey(w http.ResponseWriter, r *http.Request) {
	id, err := accountID(r)
	if err == nil {
		_, err = a.accounts.RevokeKey(r.Context(), id, r.PathValue("key"))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
