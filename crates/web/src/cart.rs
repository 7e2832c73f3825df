//! Which cart a request works on: the signed-in user's, or the guest's whose id the session
//! keeps. At the first request after signing in, the guest's lines move to the user's cart.

use gd_accounts::User;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use crate::WebError;

const GUEST_CART_KEY: &str = "guest_cart";

/// The cart of this request: the user's (made when missing, the guest cart merged into it),
/// or the guest's. Without a cart and without `create`, `None`.
pub async fn cart_id(
    session: &Session,
    pool: &PgPool,
    user: Option<&User>,
    create: bool,
) -> Result<Option<Uuid>, WebError> {
    let guest = session.get::<Uuid>(GUEST_CART_KEY).await?;
    let mut conn = pool.acquire().await?;
    if let Some(user) = user {
        let cart = match guest {
            Some(guest) => {
                let cart = gd_cart::merge(&mut conn, guest, user.id).await?;
                session.remove::<Uuid>(GUEST_CART_KEY).await?;
                cart
            }
            None if create => gd_cart::of_user(&mut conn, user.id).await?,
            None => return Ok(gd_cart::find_of_user(&mut conn, user.id).await?),
        };
        return Ok(Some(cart));
    }
    if let Some(guest) = guest {
        if gd_cart::guest_exists(&mut conn, guest).await? {
            return Ok(Some(guest));
        }
    }
    if !create {
        return Ok(None);
    }
    let cart = gd_cart::create(&mut conn, None).await?;
    session.insert(GUEST_CART_KEY, cart).await?;
    Ok(Some(cart))
}

/// How many items the session's cart holds, for the header (no cart is made).
pub async fn cart_count(
    session: &Session,
    pool: &PgPool,
    user: Option<&User>,
) -> Result<u32, WebError> {
    let guest = session.get::<Uuid>(GUEST_CART_KEY).await?;
    match (user, guest) {
        (None, None) => Ok(0),
        // One query on every page load; a missing cart counts nothing.
        (None, Some(guest)) => Ok(gd_cart::count_items(&mut *pool.acquire().await?, guest).await?),
        (Some(user), None) => {
            Ok(gd_cart::count_of_user(&mut *pool.acquire().await?, user.id).await?)
        }
        // The first page after signing in: the guest's lines join the account's cart.
        (Some(_), Some(_)) => {
            let cart = cart_id(session, pool, user, false).await?;
            match cart {
                Some(cart) => Ok(gd_cart::count_items(&mut *pool.acquire().await?, cart).await?),
                None => Ok(0),
            }
        }
    }
}
