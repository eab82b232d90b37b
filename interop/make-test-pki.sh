#!/usr/bin/env bash
# Makes a throw-away PKI for DTLS tests in DIR (never commit its output):
#   ca.pem/ca.key          the test CA
#   server.pem/.key        CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
#   other-host.pem/.key    CN=other.example (a valid cert naming another host)
#   client.pem/.key        CN=node-42 (a device)
#   expired.pem/.key       CN=node-old, validity ended in 2020
#   future.pem/.key        CN=node-future, valid from 2090
#   rogue-ca.pem, rogue.pem/.key   a second CA and a client it signed (wrong CA)
#   selfsigned.pem/.key    CN=node-self, self-signed
set -euo pipefail
dir=${1:?usage: make-test-pki.sh DIR}
mkdir -p "$dir"
cd "$dir"
key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null; }

key ca
openssl req -x509 -new -key ca.key -subj "/CN=SecureCoAP Test CA" -days 3650 -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
key rogue-ca
openssl req -x509 -new -key rogue-ca.key -subj "/CN=Rogue CA" -days 3650 -out rogue-ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# openssl ca for explicit validity windows.
mkdir -p db && : > db/index.txt && echo 1000 > db/serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
dir = .
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = copy
email_in_dn = no
[ anything ]
commonName = supplied
CNF

issue() { # name subject ca san start end
    local name=$1 subject=$2 ca=$3 san=$4 start=$5 end=$6
    key "$name"
    openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr" ${san:+-addext "subjectAltName=$san"} 2>/dev/null
    openssl ca -batch -config ca.cnf -cert "$ca.pem" -keyfile "$ca.key" -in "$name.csr" -out "$name.pem" \
        -startdate "$start" -enddate "$end" -notext 2>/dev/null
    rm -f "$name.csr"
}
now=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
later=$(date -u -d '+3650 days' +%Y%m%d%H%M%SZ)
issue server "/CN=localhost" ca "DNS:localhost,IP:127.0.0.1,IP:::1" "$now" "$later"
issue other-host "/CN=other.example" ca "DNS:other.example" "$now" "$later"
issue client "/CN=node-42" ca "" "$now" "$later"
issue expired "/CN=node-old" ca "" 20190101000000Z 20200101000000Z
issue future "/CN=node-future" ca "" 20900101000000Z 20910101000000Z
issue rogue "/CN=node-rogue" rogue-ca "" "$now" "$later"
key selfsigned
openssl req -x509 -new -key selfsigned.key -subj "/CN=node-self" -days 365 -out selfsigned.pem 2>/dev/null
echo "test PKI in $dir"
