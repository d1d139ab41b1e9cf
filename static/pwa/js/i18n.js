// Every string the app shows, in English and Simplified Chinese: one dictionary, one t().
// The language follows the browser until the user picks one (kept in IndexedDB, meta "lang").

export const LANGUAGES = {
  en: { tag: 'en', name: 'English' },
  zh: { tag: 'zh-CN', name: '中文' },
};

const STRINGS = {
  en: {
    app_name: 'Floorcheck',
    app_tagline: 'Quality inspections on the factory floor',
    switch_language: 'Switch language',
    online: 'Online',
    offline: 'Offline',
    offline_banner: 'Offline. Your work is saved on this phone and syncs when the network is back.',
    loading: 'Loading…',
    storage_unavailable: 'This browser cannot keep data on the phone (private mode?). Open Floorcheck in a normal browser window.',
    app_error: 'Something went wrong. Reload the app; your saved work is kept on this phone.',

    login_title: 'Log in',
    username: 'Username',
    password: 'Password',
    show_password: 'Show password',
    login_button: 'Log in',
    logging_in: 'Logging in…',
    login_offline: 'You are offline. Logging in needs the network.',
    session_ended: 'Your session has ended. Log in again; your unsynced work is kept on this phone.',
    login_missing: 'Enter your username and password.',

    my_inspections: 'My inspections',
    signed_in_as: 'Logged in as {name}',
    section_today: 'Today',
    section_upcoming: 'Upcoming',
    no_inspections: 'No inspections are assigned to you.',
    no_inspections_offline: 'Nothing downloaded yet. When you are online, tap “Download for offline use”.',
    field_po: 'PO',
    field_style: 'Style',
    field_factory: 'Factory',
    field_type: 'Type',
    field_ship_date: 'Ship date',
    field_inspection_date: 'Inspection',
    field_status: 'Status',
    not_scheduled: 'No date set',
    today: 'Today',
    overdue: '{date} (overdue)',
    ready_offline: 'Ready offline',
    not_downloaded: 'Not downloaded',
    'type.pre_production': 'Pre-production check',
    'type.in_process': 'In-process (DUPRO)',
    'type.pre_shipment': 'Pre-shipment (final)',
    'type.container_loading': 'Container loading',
    'status.scheduled': 'Booked',
    'status.in_progress': 'In progress',
    'status.submitted': 'Submitted',
    'status.reviewed': 'Reviewed',
    'status.aborted': 'Aborted',
    'role.admin': 'Administrator',
    'role.supervisor': 'Supervisor',
    'role.merchandiser': 'Merchandiser',
    'role.inspector': 'Inspector',
    'role.factory': 'Factory',

    download: 'Download for offline use',
    sync_now: 'Sync now',
    downloading: 'Downloading… {items} items received',
    sync_progress: 'Download progress',
    sync_pushing: 'Sending your changes…',
    sync_pushing_sent: 'Sending your changes… {n} sent',
    sync_photos: 'Uploading photos…',
    sync_photos_n: 'Uploading photo {n} of {total}…',
    sync_phase_progress: 'Sync progress',
    unsynced_waiting: 'Waiting to sync',
    unsynced_attention: 'Needs attention',
    open_inspection: 'Open inspection',
    download_done: 'Downloaded {items} items for offline use.',
    sync_done: 'Up to date.',
    last_synced: 'Last synced {time}',
    never_synced: 'Not downloaded to this phone yet.',
    sync_failed: 'Sync failed: {message}',

    storage_title: 'Offline data on this phone',
    storage_used: '{used} used of {quota} available',
    storage_unknown: 'This browser does not report its storage.',
    storage_counts: '{records} records, {unsynced} not synced yet',
    persisted_yes: 'Kept: the browser will not delete this data.',
    persisted_no: 'Not guaranteed: the browser may delete this data when space runs low. Install the app to keep it.',
    app_ready_offline: 'App version {version}, ready offline',
    app_not_ready_offline: 'The app is not saved for offline use yet.',

    account_title: 'Account',
    logout: 'Log out',
    logout_warn_title: 'Unsynced work',
    logout_warn_one: 'One change of yours is not synced yet. It stays on this phone and is sent after you log in again and sync.',
    logout_warn_other: '{n} changes of yours are not synced yet. They stay on this phone and are sent after you log in again and sync.',
    logout_warn_photos_one: 'One of them is a photo waiting to upload.',
    logout_warn_photos_other: '{n} of them are photos waiting to upload.',
    logout_warn_sync: 'Sync first while you are online.',
    logout_anyway: 'Log out anyway',
    cancel: 'Cancel',

    update_ready: 'Update ready — reload',
    update_wait: 'Save or clear what you are typing first. The update waits.',

    ios_title: 'Install on this iPhone',
    ios_hint: 'Tap Share, then “Add to Home Screen”. Installed, the app keeps its offline data; in Safari, data may be deleted after 7 days without use.',
    ios_wechat: 'Open this page in Safari (⋯ → Open in Safari), then tap Share → “Add to Home Screen”.',
    dismiss: 'OK',

    error_network: 'No connection to the server.',
    error_timeout: 'The server did not answer in time.',
    error_http: 'The server answered with an error ({status}).',
  },
  zh: {
    app_name: 'Floorcheck',
    app_tagline: '工厂现场验货',
    switch_language: '切换语言',
    online: '在线',
    offline: '离线',
    offline_banner: '当前离线。您的工作已保存在本机，网络恢复后会同步。',
    loading: '加载中…',
    storage_unavailable: '此浏览器无法在本机保存数据（是否为无痕模式？）。请在普通浏览器窗口中打开 Floorcheck。',
    app_error: '出现错误。请重新加载应用；已保存的工作仍在本机。',

    login_title: '登录',
    username: '用户名',
    password: '密码',
    show_password: '显示密码',
    login_button: '登录',
    logging_in: '正在登录…',
    login_offline: '当前离线，登录需要网络。',
    session_ended: '会话已结束，请重新登录。未同步的工作仍保存在本机。',
    login_missing: '请输入用户名和密码。',

    my_inspections: '我的验货',
    signed_in_as: '当前用户：{name}',
    section_today: '今天',
    section_upcoming: '即将进行',
    no_inspections: '目前没有分配给您的验货。',
    no_inspections_offline: '尚未下载任何内容。联网后请点击“下载离线使用”。',
    field_po: '订单号',
    field_style: '款号',
    field_factory: '工厂',
    field_type: '类型',
    field_ship_date: '交期',
    field_inspection_date: '验货日期',
    field_status: '状态',
    not_scheduled: '未定日期',
    today: '今天',
    overdue: '{date}（已逾期）',
    ready_offline: '可离线使用',
    not_downloaded: '未下载',
    'type.pre_production': '产前/首件确认',
    'type.in_process': '中期验货',
    'type.pre_shipment': '尾期验货',
    'type.container_loading': '装柜监装',
    'status.scheduled': '已预约',
    'status.in_progress': '进行中',
    'status.submitted': '已提交',
    'status.reviewed': '已审核',
    'status.aborted': '已中止',
    'role.admin': '管理员',
    'role.supervisor': '主管',
    'role.merchandiser': '跟单员',
    'role.inspector': '验货员',
    'role.factory': '工厂',

    download: '下载离线使用',
    sync_now: '立即同步',
    downloading: '正在下载…已接收 {items} 项',
    sync_progress: '下载进度',
    sync_pushing: '正在发送您的更改…',
    sync_pushing_sent: '正在发送您的更改…已发送 {n} 项',
    sync_photos: '正在上传照片…',
    sync_photos_n: '正在上传第 {n} 张照片，共 {total} 张…',
    sync_phase_progress: '同步进度',
    unsynced_waiting: '等待同步',
    unsynced_attention: '需要处理',
    open_inspection: '打开验货',
    download_done: '已下载 {items} 项，可离线使用。',
    sync_done: '已是最新。',
    last_synced: '上次同步：{time}',
    never_synced: '尚未下载到本机。',
    sync_failed: '同步失败：{message}',

    storage_title: '本机离线数据',
    storage_used: '已用 {used}，可用 {quota}',
    storage_unknown: '此浏览器不报告存储用量。',
    storage_counts: '{records} 条记录，{unsynced} 项更改未同步',
    persisted_yes: '已设为持久存储：浏览器不会删除这些数据。',
    persisted_no: '未获持久存储：空间不足时浏览器可能删除这些数据。安装应用可保留数据。',
    app_ready_offline: '应用版本 {version}，可离线打开',
    app_not_ready_offline: '应用尚未保存到本机，暂不能离线打开。',

    account_title: '账户',
    logout: '退出登录',
    logout_warn_title: '有未同步的工作',
    logout_warn_other: '您有 {n} 项更改尚未同步。它们会保留在本机，您重新登录并同步后会上传。',
    logout_warn_photos_other: '其中 {n} 张是等待上传的照片。',
    logout_warn_sync: '请趁在线时先同步。',
    logout_anyway: '仍然退出',
    cancel: '取消',

    update_ready: '有可用更新 — 重新加载',
    update_wait: '请先保存或清除正在输入的内容，更新会等待。',

    ios_title: '安装到 iPhone',
    ios_hint: '点击“分享”按钮，再选择“添加到主屏幕”。安装后离线数据会被保留；在 Safari 中，7 天未使用的数据可能被删除。',
    ios_wechat: '请在 Safari 中打开此页面（点击 ⋯ → 在 Safari 中打开），再点击“分享”→“添加到主屏幕”。',
    dismiss: '知道了',

    error_network: '无法连接服务器。',
    error_timeout: '服务器响应超时。',
    error_http: '服务器返回错误（{status}）。',
  },
};

let current = 'en';

/** The first of the browser's languages that the app speaks: any zh-* gets Simplified Chinese. */
export function detectLanguage(languages = navigator.languages?.length ? navigator.languages : [navigator.language]) {
  for (const tag of languages) {
    const lower = String(tag || '').toLowerCase();
    if (lower.startsWith('zh')) return 'zh';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export function setLanguage(lang) {
  current = lang in STRINGS ? lang : 'en';
  document.documentElement.lang = LANGUAGES[current].tag;
  return current;
}

export const language = () => current;

/** The string for key in the current language, with {name} placeholders filled from params. */
export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A string that depends on a count: key_one, key_other … by the language's plural rules ({n} is the count). */
export function tn(key, n, params = {}) {
  const form = new Intl.PluralRules(LANGUAGES[current].tag).select(n);
  const found = [`${key}_${form}`, `${key}_other`].find((k) => k in STRINGS[current] || k in STRINGS.en);
  return t(found, { n, ...params });
}

export const keys = (lang) => Object.keys(STRINGS[lang]);

/** A screen's own strings, kept beside it ({en: {...}, zh: {...}}): both languages must name the same keys
 * (tests/pwa checks every key in both), and a key may not be defined twice. */
export function addStrings(strings) {
  for (const lang of Object.keys(LANGUAGES)) {
    for (const [key, text] of Object.entries(strings[lang] ?? {})) {
      if (key in STRINGS[lang]) throw new Error(`i18n: ${key} is defined twice`);
      STRINGS[lang][key] = text;
    }
  }
}

/** A date-only ISO string ("2026-12-20") as the phone's calendar date, formatted for the UI language. */
export function formatDate(iso) {
  if (!iso) return '';
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number);
  return new Intl.DateTimeFormat(LANGUAGES[current].tag, { year: 'numeric', month: 'short', day: 'numeric' })
    .format(new Date(y, m - 1, d));
}

export function formatDateTime(value) {
  const date = new Date(value);
  const sameDay = date.toDateString() === new Date().toDateString();
  const options = sameDay ? { hour: 'numeric', minute: '2-digit' }
    : { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  return new Intl.DateTimeFormat(LANGUAGES[current].tag, options).format(date);
}

export function formatBytes(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Number(bytes) || 0;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(LANGUAGES[current].tag, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

/** Today's date on the phone's calendar, as the API writes dates ("2026-12-20"). */
export function todayIso(now = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
