//! Both stores keep the same promises: the folder on disk, and S3 against a real S3 server on
//! 127.0.0.1 (moto, from PyPI, installed by `make setup` into `.venv`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use gd_config::{S3Config, Secret};
use gd_storage::{Folder, Key, ObjectStore, S3};

async fn promises(store: &dyn ObjectStore) {
    let key = Key::parse("catalog/0a1b2c-480.jpg").unwrap();
    assert_eq!(store.get(&key).await.unwrap(), None, "nothing there yet");
    store.put(&key, b"first".to_vec()).await.unwrap();
    let object = store.get(&key).await.unwrap().unwrap();
    assert_eq!(object.bytes, b"first");
    assert_eq!(object.content_type, "image/jpeg");

    // Putting again replaces it.
    store.put(&key, b"second".to_vec()).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap().unwrap().bytes, b"second");

    // Other keys are other objects; a large one comes back whole.
    let other = Key::parse("invoices/2026/re-1.pdf").unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    store.put(&other, big.clone()).await.unwrap();
    let back = store.get(&other).await.unwrap().unwrap();
    assert_eq!(back.bytes.len(), big.len());
    assert!(back.bytes == big);
    assert_eq!(back.content_type, "application/pdf");

    store.delete(&key).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), None);
    // Deleting what is gone is fine.
    store.delete(&key).await.unwrap();
    assert!(store.get(&other).await.unwrap().is_some());
}

#[tokio::test]
async fn the_folder_keeps_the_promises() {
    let dir = tempfile::tempdir().unwrap();
    let store = Folder::new(dir.path().join("storage")).unwrap();
    promises(&store).await;
    assert!(store.is_local());
    // Nothing half-written is left beside the objects.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("storage/catalog"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `moto_server` on a free port, stopped when dropped.
struct Moto {
    child: tokio::process::Child,
    port: u16,
}

impl Moto {
    async fn start() -> Self {
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
        assert!(
            bin.exists(),
            "{} missing: run `make setup` (it installs moto[server] from PyPI)",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self { child, port };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start on port {port}");
    }

    fn config(&self, bucket: &str) -> S3Config {
        S3Config {
            bucket: bucket.into(),
            region: "eu-central-1".into(),
            endpoint: Some(format!("http://127.0.0.1:{}", self.port)),
            access_key_id: "growthdesk".into(),
            secret_access_key: Secret::new("local-secret"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test]
async fn s3_keeps_the_promises_against_a_real_s3_server() {
    let moto = Moto::start().await;
    let store = S3::new(&moto.config("growthdesk-media"));
    store.prepare().await.unwrap();
    // A second time finds it there.
    store.prepare().await.unwrap();
    promises(&store).await;
    assert!(!store.is_local());
    assert!(store.describe().contains("growthdesk-media"));
}

#[tokio::test]
async fn s3_errors_are_errors_not_missing_objects() {
    let moto = Moto::start().await;
    // The bucket was never made: reading is an error, not "no such object".
    let store = S3::new(&moto.config("never-made"));
    let key = Key::parse("a.png").unwrap();
    assert!(store.get(&key).await.is_err());
    assert!(store.put(&key, vec![1]).await.is_err());
}
