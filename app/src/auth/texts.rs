//! German and English words of the account pages.

use super::providers::ProviderProblem;
use crate::error::{AppError, Conflict};
use crate::i18n::Lang;

pub struct AuthTexts {
    pub email: &'static str,
    pub password: &'static str,
    pub new_password: &'static str,
    pub password_hint: &'static str,
    pub login_title: &'static str,
    pub login_button: &'static str,
    pub verified_notice: &'static str,
    pub reset_notice: &'static str,
    pub no_account: &'static str,
    pub forgot_link: &'static str,
    pub signup_title: &'static str,
    pub signup_button: &'static str,
    pub signup_sent: &'static str,
    pub have_account: &'static str,
    pub verify_title: &'static str,
    pub verify_text: &'static str,
    pub verify_button: &'static str,
    pub forgot_title: &'static str,
    pub forgot_text: &'static str,
    pub forgot_button: &'static str,
    pub forgot_sent: &'static str,
    pub reset_title: &'static str,
    pub reset_button: &'static str,
    pub account_title: &'static str,
    pub signed_in_as: &'static str,
    pub roles: &'static str,
    pub log_out: &'static str,
    pub not_signed_in: &'static str,
    pub check_fields: &'static str,
    pub invalid_credentials: &'static str,
    pub not_verified: &'static str,
    pub locked: &'static str,
    pub invalid_link: &'static str,
    pub generic_error: &'static str,
    pub rate_limited: &'static str,
    pub sessions_title: &'static str,
    pub this_device: &'static str,
    pub end_others: &'static str,
    pub change_title: &'static str,
    pub current_password: &'static str,
    pub change_button: &'static str,
    pub changed: &'static str,
    pub delete_title: &'static str,
    pub delete_confirm: &'static str,
    pub delete_button: &'static str,
    pub resend_button: &'static str,
    pub resent_notice: &'static str,
    pub email_title: &'static str,
    pub new_email: &'static str,
    pub email_button: &'static str,
    pub email_sent: &'static str,
    pub email_taken: &'static str,
    pub or_continue_with: &'static str,
    pub continue_with: &'static str,
    pub local_provider: &'static str,
    pub logins_title: &'static str,
    pub password_set: &'static str,
    pub no_password: &'static str,
    pub link_button: &'static str,
    pub unlink_button: &'static str,
    pub linked_notice: &'static str,
    pub not_linked: &'static str,
    pub last_login_method: &'static str,
    pub last_admin: &'static str,
    pub reauth_needed: &'static str,
    pub two_factor_on: &'static str,
    pub two_factor_off: &'static str,
    pub two_factor_manage: &'static str,
}

impl AuthTexts {
    pub fn of(lang: Lang) -> &'static AuthTexts {
        match lang {
            Lang::De => &DE,
            Lang::En => &EN,
        }
    }

    /// The sentence above a form that failed.
    pub fn error(&self, error: &AppError) -> &'static str {
        match error {
            AppError::Validation { .. } => self.check_fields,
            AppError::InvalidCredentials => self.invalid_credentials,
            AppError::EmailNotVerified => self.not_verified,
            AppError::AccountLocked => self.locked,
            AppError::InvalidLink => self.invalid_link,
            AppError::Unauthorized => self.not_signed_in,
            AppError::RateLimited(_) => self.rate_limited,
            AppError::Conflict(Conflict::LastLoginMethod) => self.last_login_method,
            AppError::Conflict(Conflict::LastAdmin) => self.last_admin,
            AppError::ReauthRequired => self.reauth_needed,
            AppError::Conflict(_) => self.email_taken,
            _ => self.generic_error,
        }
    }
}

impl AuthTexts {
    /// Why signing in (or linking) with provider `label` did not work.
    pub fn provider_problem(&self, problem: ProviderProblem, label: &str) -> String {
        let de = std::ptr::eq(self, &DE);
        match (problem, de) {
            (ProviderProblem::Cancelled, true) => {
                format!("Die Anmeldung mit {label} wurde abgebrochen.")
            }
            (ProviderProblem::Cancelled, false) => format!("Signing in with {label} was cancelled."),
            (ProviderProblem::NoEmail, true) => format!(
                "{label} hat uns keine bestätigte E-Mail-Adresse genannt. Legen Sie ein Konto mit \
                 Ihrer E-Mail-Adresse an und verknüpfen Sie {label} danach in Ihren Kontoeinstellungen."
            ),
            (ProviderProblem::NoEmail, false) => format!(
                "{label} did not give us a confirmed email address. Sign up with your email \
                 address, then link {label} in your account settings."
            ),
            (ProviderProblem::Taken, true) => format!(
                "Dieses {label}-Konto ist schon mit einem anderen Growthdesk-Konto verknüpft \
                 (oder Ihr Konto mit einem anderen {label}-Konto)."
            ),
            (ProviderProblem::Taken, false) => format!(
                "This {label} account is already linked to another Growthdesk account (or yours \
                 to another {label} account)."
            ),
            (ProviderProblem::NotLinked, true) => format!(
                "Zu dieser E-Mail-Adresse gibt es schon ein Konto. Melden Sie sich wie gewohnt an \
                 und verknüpfen Sie {label} in Ihren Kontoeinstellungen."
            ),
            (ProviderProblem::NotLinked, false) => format!(
                "This email address already has an account. Sign in as usual, then link {label} \
                 in your account settings."
            ),
            (ProviderProblem::Reauth, true) => format!(
                "Bitte bestätigen Sie zuerst, dass Sie es sind, und verknüpfen Sie {label} dann noch einmal."
            ),
            (ProviderProblem::Reauth, false) => {
                format!("Please confirm it is you first, then link {label} again.")
            }
            (ProviderProblem::Locked, _) => self.locked.to_owned(),
            (ProviderProblem::Failed, true) => format!(
                "Die Anmeldung mit {label} hat nicht geklappt. Bitte versuchen Sie es noch einmal."
            ),
            (ProviderProblem::Failed, false) => {
                format!("Signing in with {label} did not work. Please try again.")
            }
            (ProviderProblem::Unavailable, true) => {
                format!("Die Anmeldung mit {label} ist hier nicht eingerichtet.")
            }
            (ProviderProblem::Unavailable, false) => {
                format!("Signing in with {label} is not set up here.")
            }
            (ProviderProblem::TooMany, _) => self.rate_limited.to_owned(),
        }
    }
}

static DE: AuthTexts = AuthTexts {
    email: "E-Mail",
    password: "Passwort",
    new_password: "Neues Passwort",
    password_hint: "Mindestens 8 Zeichen, besser 15 oder mehr – etwa ein kurzer Satz.",
    login_title: "Anmelden",
    login_button: "Anmelden",
    verified_notice: "Ihre E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden.",
    reset_notice: "Ihr neues Passwort gilt. Bitte melden Sie sich an.",
    no_account: "Noch kein Konto? Registrieren",
    forgot_link: "Passwort vergessen?",
    signup_title: "Konto anlegen",
    signup_button: "Konto anlegen",
    signup_sent: "Fast geschafft: Wir haben Ihnen eine E-Mail geschickt. Bitte bestätigen Sie darin Ihre Adresse.",
    have_account: "Schon ein Konto? Anmelden",
    verify_title: "E-Mail-Adresse bestätigen",
    verify_text: "Ein Klick, und Ihre Adresse ist bestätigt.",
    verify_button: "Adresse bestätigen",
    forgot_title: "Passwort vergessen",
    forgot_text: "Geben Sie Ihre E-Mail-Adresse ein. Gibt es dazu ein Konto, schicken wir Ihnen einen Link für ein neues Passwort.",
    forgot_button: "Link anfordern",
    forgot_sent: "Wenn es zu dieser Adresse ein Konto gibt, ist der Link unterwegs. Er gilt eine Stunde.",
    reset_title: "Neues Passwort festlegen",
    reset_button: "Passwort speichern",
    account_title: "Ihr Konto",
    signed_in_as: "Angemeldet als",
    roles: "Rollen",
    log_out: "Abmelden",
    not_signed_in: "Sie sind nicht angemeldet.",
    check_fields: "Bitte prüfen Sie die markierten Felder.",
    invalid_credentials: "E-Mail-Adresse oder Passwort stimmen nicht.",
    not_verified: "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link in unserer Mail.",
    locked: "Dieses Konto ist gesperrt.",
    invalid_link: "Dieser Link ist ungültig, abgelaufen oder wurde schon benutzt. Fordern Sie einfach einen neuen an.",
    generic_error: "Das hat leider nicht geklappt. Bitte versuchen Sie es gleich noch einmal.",
    rate_limited: "Zu viele Versuche. Bitte warten Sie ein paar Minuten und versuchen Sie es dann erneut.",
    sessions_title: "Aktive Anmeldungen",
    this_device: "dieses Gerät",
    end_others: "Überall sonst abmelden",
    change_title: "Passwort ändern",
    current_password: "Aktuelles Passwort",
    change_button: "Passwort ändern",
    changed: "Ihr Passwort ist geändert; alle anderen Anmeldungen sind beendet.",
    delete_title: "Konto löschen",
    delete_confirm: "Ich möchte mein Konto löschen. Es wird sofort gesperrt; Rechnungen bewahren wir so lange auf, wie das Gesetz es verlangt.",
    delete_button: "Löschung beantragen",
    resend_button: "Bestätigungslink erneut senden",
    resent_notice: "Wenn diese Adresse noch bestätigt werden muss, ist ein neuer Link unterwegs.",
    email_title: "E-Mail-Adresse ändern",
    new_email: "Neue E-Mail-Adresse",
    email_button: "Bestätigungslink senden",
    email_sent: "Wir haben einen Link an die neue Adresse geschickt. Bis Sie ihn öffnen, bleibt die bisherige Adresse gültig.",
    email_taken: "Diese Adresse gehört schon zu einem anderen Konto.",
    or_continue_with: "oder weiter mit",
    continue_with: "Weiter mit",
    local_provider: "(lokaler Testserver)",
    logins_title: "Anmeldemethoden",
    password_set: "Passwort: gesetzt",
    no_password: "Kein Passwort gesetzt. Über „Passwort vergessen?“ können Sie eines festlegen.",
    link_button: "Verknüpfen",
    unlink_button: "Trennen",
    linked_notice: "Verknüpft: Sie können sich jetzt auch so anmelden.",
    not_linked: "nicht verknüpft",
    last_login_method: "Das ist Ihre letzte Anmeldemethode. Legen Sie zuerst ein Passwort fest oder verknüpfen Sie einen anderen Dienst.",
    last_admin: "Sie sind der letzte aktive Admin. Ernennen Sie zuerst einen anderen.",
    reauth_needed: "Bitte bestätigen Sie zuerst, dass Sie es sind (oben).",
    two_factor_on: "Zwei-Faktor-Anmeldung: an.",
    two_factor_off: "Zwei-Faktor-Anmeldung: aus.",
    two_factor_manage: "Verwalten",
};

static EN: AuthTexts = AuthTexts {
    email: "Email",
    password: "Password",
    new_password: "New password",
    password_hint: "At least 8 characters, better 15 or more – such as a short sentence.",
    login_title: "Sign in",
    login_button: "Sign in",
    verified_notice: "Your email address is confirmed. You can sign in now.",
    reset_notice: "Your new password is set. Please sign in.",
    no_account: "No account yet? Sign up",
    forgot_link: "Forgot your password?",
    signup_title: "Create an account",
    signup_button: "Create account",
    signup_sent: "Almost there: we sent you an email. Please confirm your address with it.",
    have_account: "Already have an account? Sign in",
    verify_title: "Confirm your email address",
    verify_text: "One click and your address is confirmed.",
    verify_button: "Confirm address",
    forgot_title: "Forgot your password",
    forgot_text: "Enter your email address. If it has an account, we will send you a link to choose a new password.",
    forgot_button: "Send link",
    forgot_sent: "If this address has an account, the link is on its way. It is valid for one hour.",
    reset_title: "Choose a new password",
    reset_button: "Save password",
    account_title: "Your account",
    signed_in_as: "Signed in as",
    roles: "Roles",
    log_out: "Sign out",
    not_signed_in: "You are not signed in.",
    check_fields: "Please check the marked fields.",
    invalid_credentials: "Email address or password is wrong.",
    not_verified: "Please confirm your email address first, with the link in our mail.",
    locked: "This account is locked.",
    invalid_link: "This link is invalid, has expired or was already used. Just ask for a new one.",
    generic_error: "Sorry, that did not work. Please try again in a moment.",
    rate_limited: "Too many attempts. Please wait a few minutes, then try again.",
    sessions_title: "Active sign-ins",
    this_device: "this device",
    end_others: "Sign out everywhere else",
    change_title: "Change password",
    current_password: "Current password",
    change_button: "Change password",
    changed: "Your password is changed; every other sign-in has ended.",
    delete_title: "Delete account",
    delete_confirm: "I want my account deleted. It is locked at once; invoices are kept as long as the law requires.",
    delete_button: "Request deletion",
    resend_button: "Send the confirmation link again",
    resent_notice: "If this address still needs confirming, a new link is on its way.",
    email_title: "Change email address",
    new_email: "New email address",
    email_button: "Send confirmation link",
    email_sent: "We sent a link to the new address. Until you open it, the current address stays in use.",
    email_taken: "This address already belongs to another account.",
    or_continue_with: "or continue with",
    continue_with: "Continue with",
    local_provider: "(local test server)",
    logins_title: "Ways to sign in",
    password_set: "Password: set",
    no_password: "No password set. Use “Forgot password?” to choose one.",
    link_button: "Link",
    unlink_button: "Unlink",
    linked_notice: "Linked: you can now sign in this way too.",
    not_linked: "not linked",
    last_login_method: "This is your last way to sign in. Set a password or link another service first.",
    last_admin: "You are the last active admin. Appoint another one first.",
    reauth_needed: "Please confirm it is you first (above).",
    two_factor_on: "Two-factor sign-in: on.",
    two_factor_off: "Two-factor sign-in: off.",
    two_factor_manage: "Manage",
};
