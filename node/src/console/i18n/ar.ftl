# وحدة التحكم Cordon — العربية (الإنجليزية هي المرجع: لكل لغة أخرى هذه المفاتيح بالضبط).

## التنقل والإطار
nav-inbox = البريد الوارد
nav-compose = إنشاء رسالة
nav-sent = البريد المرسَل
nav-ocu = وحدة التنسيق
nav-overview = نظرة عامة
nav-status = الحالة
nav-officers = الموظفون
nav-logout = تسجيل الخروج
settings-language = اللغة
settings-language-browser = لغة المتصفح
settings-save = حفظ
yes = نعم
no = لا

## تسجيل الدخول
login-title = تسجيل الدخول
login-name = الاسم
login-password = كلمة المرور
login-submit = دخول
login-failed = الاسم أو كلمة المرور غير صحيحة.
login-wait = محاولات فاشلة كثيرة جدًا. أعد المحاولة بعد { $n } ثانية.

## الأخطاء
error-title = خطأ
error-csrf = انتهت صلاحية هذا النموذج أو لم يصدر عن وحدة التحكم هذه. أعد تحميل الصفحة وحاول مرة أخرى.
error-forbidden = لا يسمح لك دورك بالوصول إلى هذه الصفحة.
error-not-found = غير موجود.
error-internal = تعذّر على العقدة تنفيذ هذه العملية. سيجد المسؤول السبب في سجل العقدة.
error-too-large = النموذج كبير جدًا (حجم المرفقات محدود).

## الأعمدة
col-priority = الأولوية
col-kind = النوع
col-title = الموضوع
col-sender = المرسِل
col-operation = العملية
col-received = تاريخ الاستلام
col-created = تاريخ الإنشاء
col-state = الحالة
col-acknowledged = تأكيد الاستلام
col-delivered = التسليم
col-read = القراءة
col-recipient = المستلم
col-participant = المشارك

## البريد الوارد
inbox-search = حاوية أو سفينة أو مرسِل أو نص
inbox-all-operations = جميع العمليات
inbox-all-kinds = جميع الأنواع
inbox-all-priorities = جميع الأولويات
inbox-unread = غير المقروءة
inbox-unacked = غير المؤكَّد استلامها
inbox-from = من
inbox-to = إلى
inbox-filter = تصفية
inbox-clear = مسح
inbox-flash = رسائل فورية لم يُؤكَّد استلامها بعد
inbox-new = وصلت رسائل جديدة.
inbox-empty = لا توجد رسائل.
inbox-count = عرض { $shown } من أصل { $total }
inbox-more = المزيد: { $count }
inbox-older = رسائل أقدم

## الرسالة
msg-attachments = المرفقات
msg-not-sealed = غير مشفّرة لـ (انضموا لاحقًا أو لم يكن لديهم مفتاح)
msg-in-reply-to = ردًّا على
msg-timeline = تحديثات التتبع
msg-acknowledged = تم تأكيد الاستلام
msg-ack = تأكيد الاستلام
msg-reply = رد
msg-feedback = تغذية راجعة
msg-seizure = تقرير ضبط
msg-tracking-update = تحديث التتبع
msg-to = إلى
msg-receipts = إيصالات الاستلام

## إنشاء رسالة
compose-title = رسالة جديدة: { $kind }
compose-errors = { $count ->
    [zero] لا توجد حقول تحتاج إلى تصحيح.
    [one] حقل واحد يحتاج إلى تصحيح.
    [two] حقلان يحتاجان إلى تصحيح.
    [few] { $count } حقول تحتاج إلى تصحيح.
    [many] { $count } حقلًا يحتاج إلى تصحيح.
   *[other] { $count } حقل يحتاج إلى تصحيح.
}
compose-reply-to = الرد على
compose-to = القناة
compose-no-channels = لا يجوز لهذه العقدة إرسال هذا النوع من الرسائل على أي قناة.
compose-tlp = العلامة (TLP)
compose-grading-help = دلالة درجات التقييم
compose-attach-limit = الحد الأقصى لعدد الملفات: { $count }، وللحجم الإجمالي: { $max }.
compose-send = إرسال

## القواعد
rule-required = مطلوب.
rule-too-long = الحد الأقصى لعدد الأحرف: { $max }.
rule-too-many = الحد الأقصى لعدد الإدخالات: { $max }.
rule-duplicate = يتكرر الإدخال نفسه مرتين.
rule-control = يحتوي على حرف تحكم.
rule-container-format = ليس رقم حاوية: 4 أحرف (الرابع U أو J أو Z) و6 أرقام ورقم تحقق، مثل CSQU3054383.
rule-container-check = رقم التحقق خاطئ: يجب أن يكون { $expected }.
rule-imo-format = ليس رقمًا للمنظمة البحرية الدولية: 7 أرقام، مثل IMO 9074729.
rule-imo-check = رقم التحقق في رقم المنظمة البحرية الدولية خاطئ: يجب أن يكون { $expected }.
rule-locode = ليس رمز UN/LOCODE: رمز البلد و3 أحرف، مثل BEANR.
rule-hs = ليس رمزًا في النظام المنسق: 4 أو 6 أو 8 أو 10 أرقام، مثل 8471.30.
rule-country = ليس رمز بلد: حرفان، مثل BE.
rule-quantity = عدد أكبر من الصفر.
rule-grade = درجة من 1 إلى 6.
rule-date = تاريخ مثل 2026-12-31، أو 2026-12-31T14:30 (UTC).
rule-choice = اختر أحد عناصر القائمة.
rule-reference = ليس معرّف رسالة.
rule-mode-needed = اختر نمط النقل.
rule-attachment = تعذّرت قراءة أحد المرفقات؛ اختر الملفات مرة أخرى.
rule-attachments-size = الحد الأقصى للحجم الإجمالي للمرفقات: { $max } بايت.
rule-other = { $detail }

## البريد المرسَل
sent-empty = لم يُرسَل شيء بعد.
sent-waiting = بانتظار
sent-not-read = لم تُقرأ ({ $count })

## وحدة التنسيق العملياتي
ocu-notice = تعميم على المشاركين في العملية
ocu-tasking = كتابة تكليف
ocu-grid = من استلم ماذا
ocu-empty = لم يُرسَل أي تعميم أو تكليف بعد.
ocu-due = الرد قبل

## نظرة عامة
overview-per-kind = الرسائل حسب النوع على مر الزمن
overview-per-country = الرسائل حسب البلد المرسِل
overview-seizures-hs = المضبوطات حسب فصول النظام المنسق
overview-seizures-country = المضبوطات حسب البلد
overview-csv-messages = الرسائل (CSV)
overview-csv-seizures = المضبوطات (CSV)

## الحالة
status-node = العقدة
status-link = الاتصال بالعقدة المركزية
status-last-error = آخر خطأ
status-certificate-refused = رُفضت الشهادة
status-hub = العقدة المركزية
status-outbox = صندوق الصادر (لم تخزّنه العقدة المركزية بعد)
status-inbox = البريد الوارد
status-last-sync = آخر تبادل مع العقدة المركزية
status-subscribed = القنوات المستلَمة
status-sessions = جلسات وحدة التحكم

## الموظفون
officers-hint = تتم إضافة الموظفين وتعيين كلمات مرورهم من سطر أوامر العقدة:
officers-role = الدور
officers-state = الحالة
officers-active = نشط
officers-disabled = معطَّل
officers-disable = تعطيل

## قوائم الرموز
role-reader = قارئ
role-sender = مُرسِل
role-admin = مسؤول النظام
kind-alert = تنبيه
kind-feedback = تغذية راجعة
kind-seizure = ضبط
kind-tracking-request = طلب تتبع
kind-tracking-update = تحديث التتبع
kind-tasking = تكليف
kind-notice = تعميم
kind-receipt = إيصال استلام
priority-flash = فوري
priority-urgent = عاجل
priority-routine = عادي
tlp-meaning-red = للمستلمين المسمَّين فقط؛ لا يجوز تداولها على نطاق أوسع.
tlp-meaning-amber-strict = داخل مؤسسة المستلم فقط.
tlp-meaning-amber = داخل مؤسسة المستلم وعملائها، على أساس الحاجة إلى المعرفة.
tlp-meaning-green = داخل المجتمع؛ لا تُنشر.
tlp-meaning-clear = لا قيود على الإفصاح.
state-draft = في قائمة الانتظار
state-sealed = مشفّرة
state-stored = خزّنتها العقدة المركزية
state-failed = فشل
link-connected = متصل
link-connecting = جارٍ الاتصال
link-disconnected = غير متصل
link-stopped = متوقف
grid-acknowledged = تم تأكيد الاستلام
grid-read = مقروءة
grid-delivered = تم التسليم
grid-pending = قيد الانتظار
grid-not-sealed = غير مشفّرة لـ
grid-none = —
action-monitor = مراقبة
action-inspect = تفتيش
action-hold = احتجاز
action-controlled-delivery = التسليم المراقَب
action-report-back = الإبلاغ بالنتائج
action-information-only = للعلم فقط
outcome-inspected = تم التفتيش
outcome-nothing-found = لم يُعثر على شيء
outcome-seized = تم الضبط
outcome-not-arrived = لم تصل
outcome-released = تم الإفراج
outcome-monitored = تمت المراقبة
outcome-not-actioned = لم يُتخذ أي إجراء
event-gate-in = الدخول إلى المحطة
event-loaded = التحميل
event-departed = المغادرة
event-transhipped = المسافنة
event-arrived = الوصول
event-discharged = التفريغ
event-gate-out = الخروج من المحطة
event-inspected = التفتيش
event-seized = الضبط
event-released = الإفراج
event-not-found = لم يُعثر عليها
phase-planning = التخطيط
phase-interdiction = الاعتراض
phase-follow-up = المتابعة
phase-reporting = إعداد التقارير
mode-sea = بحري
mode-air = جوي
mode-road = بري
mode-rail = بالسكك الحديدية
mode-postal = بريدي
mode-other = آخر
source-A = A: موثوق تمامًا
source-B = B: موثوق عادةً
source-C = C: موثوق إلى حد ما
source-D = D: غير موثوق عادةً
source-E = E: غير موثوق
source-F = F: لا يمكن الحكم على موثوقيته
grade-1 = مؤكدة من مصادر أخرى
grade-2 = صحيحة على الأرجح
grade-3 = ربما تكون صحيحة
grade-4 = مشكوك فيها
grade-5 = مستبعدة
grade-6 = لا يمكن الحكم على صحتها

## أسماء الحقول (تستخدم النماذج المسار المنقّط مع شرطات؛ والمحتوى المعروض الاسم الأخير)
field-title = الموضوع
field-summary = الملخص
field-action = الإجراء المطلوب
field-containers = الحاويات
field-conveyance = وسيلة النقل
field-conveyance-mode = نمط النقل
field-conveyance-vessel_name = اسم السفينة
field-conveyance-imo = رقم السفينة لدى المنظمة البحرية الدولية (IMO)
field-conveyance-voyage = الرحلة
field-route = المسار (رموز UN/LOCODE بالترتيب)
field-bill_of_lading = بوليصة الشحن
field-commodity = السلعة
field-commodity-description = وصف البضائع
field-commodity-hs_code = رمز النظام المنسق
field-parties = الأطراف
field-parties-shipper-name = الشاحن
field-parties-shipper-country = بلد الشاحن
field-parties-consignee-name = المرسَل إليه
field-parties-consignee-country = بلد المرسَل إليه
field-risk_indicators = مؤشرات المخاطر (مؤشر واحد في كل سطر)
field-grading = التقييم
field-grading-source = تقييم المصدر
field-grading-information = تقييم المعلومة
field-free_text = نص حر
field-alert_id = التنبيه
field-outcome = النتيجة
field-details = التفاصيل
field-seizure_id = تقرير الضبط
field-seized_at = تاريخ الضبط
field-place = المكان (UN/LOCODE)
field-place_detail = تفاصيل المكان
field-goods = البضائع
field-goods-description = البضائع المضبوطة
field-goods-hs_code = رمز النظام المنسق
field-goods-quantity = الكمية
field-goods-unit = الوحدة
field-concealment = طريقة الإخفاء
field-persons = الأشخاص
field-booking = الحجز
field-vessel = رقم السفينة لدى المنظمة البحرية الدولية (IMO)
field-voyage = الرحلة
field-until = التتبع حتى
field-report = الأحداث المطلوب الإبلاغ عنها
field-remarks = ملاحظات
field-request_id = طلب التتبع
field-container = الحاوية
field-event = الحدث
field-at = التاريخ والوقت
field-instructions = التعليمات
field-due_by = الموعد النهائي
field-ack_required = يلزم تأكيد الاستلام
field-text = النص
field-phase = المرحلة
field-description = الوصف
field-hs_code = رمز النظام المنسق
field-shipper = الشاحن
field-consignee = المرسَل إليه
field-notify_party = الطرف المُخطَر
field-name = الاسم
field-address = العنوان
field-country = البلد
field-identifier = المعرّف
field-mode = نمط النقل
field-vessel_name = اسم السفينة
field-imo = رقم المنظمة البحرية الدولية (IMO)
field-flight = رقم الرحلة الجوية
field-vehicle_registration = رقم تسجيل المركبة
field-source = المصدر
field-information = المعلومة
field-quantity = الكمية
field-unit = الوحدة
field-commodity-hs = رمز النظام المنسق
