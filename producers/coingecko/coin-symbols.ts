/**
 * `/simple/price` answers by coin id only; the ticker symbol comes from what `/coins/markets`
 * told us, else from this list of common coins, else the upper-cased id (logged once).
 */
export const KNOWN_COIN_SYMBOLS: Readonly<Record<string, string>> = {
  bitcoin: 'BTC',
  ethereum: 'ETH',
  binancecoin: 'BNB',
  solana: 'SOL',
  ripple: 'XRP',
  tether: 'USDT',
  'usd-coin': 'USDC',
  cardano: 'ADA',
  dogecoin: 'DOGE',
  tron: 'TRX',
  'avalanche-2': 'AVAX',
  polkadot: 'DOT',
  chainlink: 'LINK',
  litecoin: 'LTC',
  'matic-network': 'MATIC',
  'shiba-inu': 'SHIB',
  'bitcoin-cash': 'BCH',
  stellar: 'XLM',
  toncoin: 'TON',
  uniswap: 'UNI',
};
