//! A DNS server in the test's process (feature `testing`), for tests of
//! DNS discovery here and in the router: on 127.0.0.1, UDP, port 0, it
//! answers A, AAAA and SRV questions from records the test sets and
//! changes, and can be made to answer NXDOMAIN or nothing at all.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, SRV};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

/// How the server treats questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsMode {
    /// From the records set.
    Answer,
    /// NXDOMAIN to every question.
    NxDomain,
    /// No answer at all (a name server that went away).
    Silent,
}

#[derive(Default)]
struct Zone {
    /// By lower-case name without the final dot, then record type.
    records: HashMap<(String, RecordType), Vec<Record>>,
}

struct Handler {
    zone: Arc<Mutex<Zone>>,
    mode: Arc<Mutex<DnsMode>>,
    queries: Arc<AtomicUsize>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn fqdn(name: &str) -> Name {
    let mut name = Name::from_ascii(name).expect("a valid DNS name");
    name.set_fqdn(true);
    name
}

/// TTL of every record: short, though discovery asks again anyway.
const TTL: u32 = 1;

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        self.queries.fetch_add(1, Ordering::SeqCst);
        let mode = *self.mode.lock().unwrap_or_else(PoisonError::into_inner);
        let mut metadata = Metadata::response_from_request(&request.metadata);
        let unanswered = ResponseInfo::from(Header {
            metadata,
            counts: HeaderCounts::default(),
        });
        let question = match request.request_info() {
            Ok(info) => (key(&info.query.name().to_string()), info.query.query_type()),
            Err(_) => return unanswered,
        };
        let builder = MessageResponseBuilder::from_message_request(request);
        let answer = match mode {
            DnsMode::Silent => return unanswered,
            DnsMode::NxDomain => None,
            DnsMode::Answer => {
                let zone = self.zone.lock().unwrap_or_else(PoisonError::into_inner);
                let known = zone.records.keys().any(|(name, _)| *name == question.0);
                known.then(|| zone.records.get(&question).cloned().unwrap_or_default())
            }
        };
        metadata.authoritative = true;
        let sent = match answer {
            Some(records) => {
                let response = builder.build(
                    metadata,
                    records.iter(),
                    std::iter::empty(),
                    std::iter::empty(),
                    std::iter::empty(),
                );
                response_handle.send_response(response).await
            }
            None => {
                let response = builder.error_msg(&request.metadata, ResponseCode::NXDomain);
                response_handle.send_response(response).await
            }
        };
        sent.unwrap_or(unanswered)
    }
}

/// The server; it stops when dropped.
pub struct FakeDns {
    addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
    mode: Arc<Mutex<DnsMode>>,
    queries: Arc<AtomicUsize>,
    _server: Server<Handler>,
}

impl FakeDns {
    pub async fn start() -> FakeDns {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind a UDP socket");
        let addr = socket.local_addr().expect("its address");
        let zone = Arc::new(Mutex::new(Zone::default()));
        let mode = Arc::new(Mutex::new(DnsMode::Answer));
        let queries = Arc::new(AtomicUsize::new(0));
        let mut server = Server::new(Handler {
            zone: zone.clone(),
            mode: mode.clone(),
            queries: queries.clone(),
        });
        server.register_socket(socket);
        FakeDns {
            addr,
            zone,
            mode,
            queries,
            _server: server,
        }
    }

    /// Where to send questions (`nameserver` in a discovery config).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Questions received so far.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    pub fn set_mode(&self, mode: DnsMode) {
        *self.mode.lock().unwrap_or_else(PoisonError::into_inner) = mode;
    }

    /// Makes `ips` the A and AAAA records of `name`.
    pub fn set_addresses(&self, name: &str, ips: &[IpAddr]) {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for ip in ips {
            match ip {
                IpAddr::V4(ip) => v4.push(Record::from_rdata(fqdn(name), TTL, RData::A(A(*ip)))),
                IpAddr::V6(ip) => {
                    v6.push(Record::from_rdata(fqdn(name), TTL, RData::AAAA(AAAA(*ip))))
                }
            }
        }
        let mut zone = self.zone.lock().unwrap_or_else(PoisonError::into_inner);
        zone.records.insert((key(name), RecordType::A), v4);
        zone.records.insert((key(name), RecordType::AAAA), v6);
    }

    /// Makes `targets` (host, port) the SRV records of `name`, all of
    /// priority 0 and weight 1.
    pub fn set_srv(&self, name: &str, targets: &[(&str, u16)]) {
        let records = targets
            .iter()
            .map(|(target, port)| {
                let srv = SRV::new(0, 1, *port, fqdn(target));
                Record::from_rdata(fqdn(name), TTL, RData::SRV(srv))
            })
            .collect();
        self.zone
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .records
            .insert((key(name), RecordType::SRV), records);
    }

    /// Forgets `name` altogether: questions about it get NXDOMAIN.
    pub fn remove(&self, name: &str) {
        self.zone
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .records
            .retain(|(known, _), _| *known != key(name));
    }
}
