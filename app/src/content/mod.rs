//! Pages the agency writes: the legal pages every page links to from its footer, and blog
//! posts. Public pages here; admins edit them under `/admin/pages`.

pub mod api;
pub(crate) mod blog;
pub(crate) mod pages;
