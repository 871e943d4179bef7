//! Git over the network: remote URLs (`url`), credentials (`auth`), the cache of remote
//! repositories (`cache`), fetching into it (`fetch`), timeouts (`timeout`) and publishing
//! (`push`). Reading trees out of a repository is `input::git`'s job, and `input::remote`
//! turns an input spec into a fetched revision through this module.

pub mod auth;
pub mod cache;
pub mod fetch;
pub mod push;
pub mod resolve;
pub mod timeout;
pub mod url;

#[cfg(test)]
mod tests {
    use super::auth::Auth;
    use super::cache::*;
    use super::url::*;

    #[test]
    fn urls_are_normalised_and_keyed() {
        let u = RemoteUrl::parse("https://GitHub.com/acme/contracts.git/").unwrap();
        assert_eq!(u.display, "https://github.com/acme/contracts.git");
        assert_eq!(u.host, "github.com");
        assert_eq!(u.key().len(), 32);
        let ssh = RemoteUrl::parse("ssh://deploy@GitHub.com:22/acme/contracts.git").unwrap();
        assert_eq!(ssh.display, "ssh://deploy@github.com:22/acme/contracts.git");
        assert_eq!(ssh.normal, "ssh://github.com:22/acme/contracts.git");
        assert_eq!(ssh.user.as_deref(), Some("deploy"));
        assert_eq!(
            ssh.key(),
            RemoteUrl::parse("ssh://github.com:22/acme/contracts.git")
                .unwrap()
                .key()
        );
        let scp = RemoteUrl::parse("git@github.com:acme/contracts.git").unwrap();
        assert_eq!(scp.display, "git@github.com:acme/contracts.git");
        assert_eq!(scp.normal, "github.com:acme/contracts.git");
        assert_eq!(scp.scheme, Scheme::Ssh);
        assert_eq!(scp.user.as_deref(), Some("git"));
        let file = RemoteUrl::parse("file:///tmp/x/contracts.git").unwrap();
        assert_eq!(file.display, "file:///tmp/x/contracts.git");
        assert_eq!(file.host, "");
        let port = RemoteUrl::parse("http://127.0.0.1:8080/r.git").unwrap();
        assert_eq!(port.host, "127.0.0.1");
        let v6 = RemoteUrl::parse("https://[::1]:8443/r.git").unwrap();
        assert_eq!(v6.host, "::1");
    }

    #[test]
    fn credentials_in_urls_are_refused_without_echoing_them() {
        for url in [
            "https://x-access-token:s3cret@github.com/o/r.git",
            "https://s3cret@github.com/o/r.git",
            "ssh://git:s3cret@github.com/o/r.git",
        ] {
            let e = RemoteUrl::parse(url).unwrap_err().to_string();
            assert!(!e.contains("s3cret"), "{e}");
            assert!(e.contains("github.com/o/r.git"), "{e}");
            assert!(e.contains("PROTOSYNC_GIT_TOKEN"), "{e}");
        }
    }

    #[test]
    fn expressions_split_into_base_and_rest() {
        assert_eq!(expr_base("HEAD~2"), Base::Head);
        assert_eq!(expr_base("@~1"), Base::Head);
        assert_eq!(expr_base("abc1234^"), Base::Sha("abc1234"));
        assert_eq!(expr_base("v1.2~1"), Base::Name("v1.2"));
        assert_eq!(expr_base("release/1.x"), Base::Name("release/1.x"));
        assert_eq!(split_expr("main@{1}"), ("main", "@{1}"));
        assert_eq!(strip_ref_prefix("origin/main"), ("main", Some("branch")));
        assert_eq!(strip_ref_prefix("refs/tags/v1"), ("v1", Some("tag")));
        assert_eq!(strip_ref_prefix("main"), ("main", None));
    }

    #[test]
    fn redaction_covers_the_token_and_its_header() {
        let auth = Auth {
            token: Some(("PROTOSYNC_GIT_TOKEN", "tok-123".into())),
        };
        let header = auth.header().unwrap();
        let value = header.trim_start_matches("Authorization: Basic ");
        let text = format!("bad header '{value}' for tok-123");
        assert_eq!(auth.redact(&text), "bad header '***' for ***");
    }
}
