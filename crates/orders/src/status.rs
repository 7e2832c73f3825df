//! The order's status machine: pending payment → paid → in fulfilment → completed or partly
//! fulfilled (a provider delivered only part), or cancelled, refunded, partly refunded. A
//! status only moves forward.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    PendingPayment,
    Paid,
    InFulfilment,
    Completed,
    PartlyFulfilled,
    PartlyRefunded,
    Refunded,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::PendingPayment,
        Status::Paid,
        Status::InFulfilment,
        Status::Completed,
        Status::PartlyFulfilled,
        Status::PartlyRefunded,
        Status::Refunded,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::PendingPayment => "pending_payment",
            Status::Paid => "paid",
            Status::InFulfilment => "in_fulfilment",
            Status::Completed => "completed",
            Status::PartlyFulfilled => "partly_fulfilled",
            Status::PartlyRefunded => "partly_refunded",
            Status::Refunded => "refunded",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether an order in this status may move to `next`. Nothing ever moves back to
    /// "pending payment"; cancelled and refunded orders are final.
    pub fn may_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (PendingPayment, Paid | Cancelled)
                | (
                    Paid,
                    InFulfilment
                        | Completed
                        | PartlyFulfilled
                        | PartlyRefunded
                        | Refunded
                        | Cancelled
                )
                | (
                    InFulfilment,
                    Completed | PartlyFulfilled | PartlyRefunded | Refunded | Cancelled
                )
                | (Completed, PartlyRefunded | Refunded)
                | (PartlyFulfilled, Completed | PartlyRefunded | Refunded)
                | (PartlyRefunded, Refunded)
        )
    }

    /// Whether money has been received for the order (now or before a refund).
    pub fn was_paid(self) -> bool {
        !matches!(self, Status::PendingPayment | Status::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_never_go_back() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert!(!s.may_become(s), "{s:?} to itself");
            assert!(!s.may_become(Status::PendingPayment));
        }
        assert!(Status::PendingPayment.may_become(Status::Paid));
        assert!(!Status::Cancelled.may_become(Status::Paid));
        assert!(!Status::Refunded.may_become(Status::PartlyRefunded));
    }
}
