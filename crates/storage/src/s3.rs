//! An S3 bucket through `aws-sdk-s3`: AWS, or any S3-compatible server at `S3_ENDPOINT`
//! (path-style addressing, which those servers expect). TLS is rustls on ring, like every
//! other client in the project (the SDK's default would add aws-lc).

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_sdk_s3::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use gd_config::S3Config;

use crate::{Key, Object, ObjectStore, StorageError, StoreFuture};

pub struct S3 {
    client: Client,
    bucket: String,
    region: String,
    description: String,
}

fn s3_error<E, R>(e: SdkError<E, R>) -> StorageError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StorageError::S3(DisplayErrorContext(e).to_string())
}

impl S3 {
    pub fn new(config: &S3Config) -> Self {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(Credentials::new(
                config.access_key_id.clone(),
                config.secret_access_key.expose().to_owned(),
                None,
                None,
                "growthdesk-config",
            ))
            .http_client(http)
            .force_path_style(true);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint.clone());
        }
        let description = match &config.endpoint {
            Some(endpoint) => format!("S3 bucket {} at {endpoint}", config.bucket),
            None => format!("S3 bucket {} ({})", config.bucket, config.region),
        };
        Self {
            client: Client::from_conf(builder.build()),
            bucket: config.bucket.clone(),
            region: config.region.clone(),
            description,
        }
    }

    /// Creates the bucket unless it exists (for a fresh S3-compatible server; on AWS the
    /// bucket is made by whoever owns the account).
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        if self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        let mut create = self.client.create_bucket().bucket(&self.bucket);
        // Outside us-east-1 a bucket is made in the region it is asked for in.
        if self.region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        create.send().await.map_err(s3_error)?;
        Ok(())
    }
}

impl ObjectStore for S3 {
    fn put<'a>(&'a self, key: &'a Key, bytes: Vec<u8>) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .content_type(key.content_type())
                .body(ByteStream::from(bytes))
                .send()
                .await
                .map_err(s3_error)?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a Key) -> StoreFuture<'a, Option<Object>> {
        Box::pin(async move {
            let answer = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .send()
                .await;
            let output = match answer {
                Ok(output) => output,
                Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => return Ok(None),
                Err(e) => return Err(s3_error(e)),
            };
            let bytes = output
                .body
                .collect()
                .await
                .map_err(|e| StorageError::S3(format!("reading {key}: {e}")))?
                .into_bytes()
                .to_vec();
            Ok(Some(Object {
                bytes,
                content_type: key.content_type(),
            }))
        })
    }

    fn delete<'a>(&'a self, key: &'a Key) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .send()
                .await
                .map_err(s3_error)?;
            Ok(())
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn is_local(&self) -> bool {
        false
    }

    fn prepare(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.ensure_bucket())
    }
}
