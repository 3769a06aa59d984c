// Word pools for labels and error parameters. Every pool is split by a hash of the word:
// one word in five is held out for the test split, so test screens show labels and
// parameters never seen in training.
import { hash } from './random.mjs';

const POOLS = {
  noun: `account profile settings billing invoice order report project task note message
    inbox draft folder file upload download photo album video music playlist contact team
    member group channel workspace calendar event meeting schedule ticket issue release build
    deploy server cluster database table query record backup snapshot domain network device
    printer camera battery storage memory plugin theme language region currency payment card
    wallet budget expense income product catalog cart checkout coupon shipping delivery
    address review rating comment post article page blog feed story topic tag label filter
    history activity dashboard analytics metric chart alert status health log trace token key
    secret password email phone username company title summary description comment notebook
    course lesson quiz grade student teacher library book chapter recipe ingredient menu
    garden weather city airport flight hotel booking ticket route map place trip`,
  verb: `save cancel submit continue next back delete remove edit update create add open close
    share export import send reply archive restore refresh retry sync upload download apply
    reset confirm approve reject publish preview search browse connect disconnect install
    enable disable start stop pause resume invite join leave subscribe unsubscribe accept
    decline buy checkout book schedule rename copy move duplicate print`,
  adj: `new recent active archived shared private public pending failed completed draft
    primary secondary advanced basic daily weekly monthly default custom local remote quick
    secure main personal global total open closed empty full`,
  name: `alice bob carol dave erin frank grace heidi ivan judy mallory nina oscar peggy quinn
    rupert sybil trent victor walter yara zane maria omar lena tomas priya kenji sofia diego
    amara felix hana igor jonas kira liam mei noah olga pablo rosa sami tara uma vera wei`,
  pymod: `requests numpy pandas flask django scipy yaml redis boto3 pytest click jinja2 tqdm
    matplotlib seaborn sqlalchemy pydantic fastapi uvicorn httpx aiohttp pillow lxml bs4
    psycopg2 celery kafka grpc torchvision sklearn tensorflow openpyxl arrow pendulum rich
    typer docker paramiko cryptography jwt toml ujson orjson`,
  npmpkg: `express react lodash axios chalk commander dotenv webpack vite eslint prettier
    jest mocha zod moment dayjs uuid cors helmet mongoose prisma sequelize nodemon rimraf
    yargs inquirer ora glob minimist ws socket.io next vue svelte redux immer rxjs sharp
    pino winston`,
  ident: `user config data result items count total index value handler callback response
    request client session context payload options params buffer stream cache logger router
    store state props element node parent child entry record row column width height offset
    limit cursor token timer queue worker task job event listener emitter parser reader
    writer`,
  file: `main app index server utils helpers config routes models views api client worker
    schema types store service handler parser loader runner setup cli db auth session
    logger cache queue`,
  cmd: `dockr gti nmp pyhton kubectl terraform yarn pnpm cargo rustc gradle mvn ansible
    helm deno bun poetry conda pipenv ruby go`,
  path: `users orders items login auth session products search health metrics upload
    profile settings comments posts tokens reports invoices events`,
};

const split = {};
for (const [pool, text] of Object.entries(POOLS)) {
  const words = [...new Set(text.split(/\s+/).filter(Boolean))];
  split[pool] = {
    train: words.filter((w) => hash(`${pool}:${w}`) % 5 !== 0),
    test: words.filter((w) => hash(`${pool}:${w}`) % 5 === 0),
  };
}

/** The pool of words of a kind for a split ('train' or 'test'). */
export function words(pool, which) {
  const p = split[pool];
  if (!p) throw new Error(`words: unknown pool "${pool}"`);
  return p[which];
}

export const cap = (w) => w.charAt(0).toUpperCase() + w.slice(1);
